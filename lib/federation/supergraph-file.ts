/**
 * Where the committed supergraph lives, and reading it: apart from composition (compose.ts),
 * so that code which only serves the committed file does not import our composition step.
 * (@apollo/gateway itself still brings part of @apollo/composition into the gateway's bundle.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../services.js';

export const SUPERGRAPH_PATH = path.join(ROOT, 'schema', 'supergraph.graphql');

/** The committed supergraph, which the gateway serves. */
export function readCommittedSupergraph(): string {
  return fs.readFileSync(SUPERGRAPH_PATH, 'utf8');
}
