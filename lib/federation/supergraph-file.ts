/**
 * Where the committed supergraph lives, and reading it: apart from composition (compose.ts),
 * so that the gateway, which only serves the committed file, does not load @apollo/composition.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../services.js';

export const SUPERGRAPH_PATH = path.join(ROOT, 'schema', 'supergraph.graphql');

/** The committed supergraph, which the gateway serves. */
export function readCommittedSupergraph(): string {
  return fs.readFileSync(SUPERGRAPH_PATH, 'utf8');
}
