import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, type DocumentNode } from 'graphql';

/** Parses the `schema.graphql` that sits beside the calling module (`import.meta.url`). */
export function loadTypeDefs(moduleUrl: string, file = 'schema.graphql'): DocumentNode {
  return parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(moduleUrl)), file), 'utf8'));
}

/** The folder of the calling module, e.g. to find its `migrations/`. */
export function folderOf(moduleUrl: string, ...segments: string[]): string {
  return path.join(path.dirname(fileURLToPath(moduleUrl)), ...segments);
}
