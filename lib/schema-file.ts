import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';
import { POLICY_DIRECTIVES_SDL } from './policy/spec.js';

/**
 * A subgraph's SDL: its `schema.graphql` plus the policy directive definitions it imports
 * from the platform's spec (schema/policy-v1.0.graphql), which live in one place only.
 */
export function readSubgraphSdl(folder: string): string {
  return `${fs.readFileSync(path.join(folder, 'schema.graphql'), 'utf8')}\n${POLICY_DIRECTIVES_SDL}`;
}

/** Parses the subgraph SDL of the folder of the calling module (`import.meta.url`). */
export function loadTypeDefs(moduleUrl: string): DocumentNode {
  return parse(readSubgraphSdl(path.dirname(fileURLToPath(moduleUrl))));
}

/** The folder of the calling module, e.g. to find its `migrations/`. */
export function folderOf(moduleUrl: string, ...segments: string[]): string {
  return path.join(path.dirname(fileURLToPath(moduleUrl)), ...segments);
}
