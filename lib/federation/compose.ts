/**
 * Composes the four subgraph SDL files into the supergraph with @apollo/composition.
 * `npm run compose` writes the result to schema/supergraph.graphql; a test fails when the
 * committed file differs from what this returns.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { SUBGRAPH_NAMES } from '../config.js';
import { readSubgraphSdl } from '../schema-file.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SUPERGRAPH_PATH = path.join(ROOT, 'schema', 'supergraph.graphql');

/** The default local URL of each subgraph, recorded in the supergraph (the gateway overrides it from config). */
const DEFAULT_PORTS: Record<(typeof SUBGRAPH_NAMES)[number], number> = {
  tenancy: 4001,
  erp: 4002,
  'clinical-ops': 4003,
  observability: 4004,
};

export function composeSupergraph(): string {
  const services = SUBGRAPH_NAMES.map((name) => ({
    name,
    url: `http://127.0.0.1:${DEFAULT_PORTS[name]}/graphql`,
    typeDefs: parse(readSubgraphSdl(path.join(ROOT, 'subgraphs', name))),
  }));
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  }
  return result.supergraphSdl.trimEnd() + '\n';
}

export function readCommittedSupergraph(): string {
  return fs.readFileSync(SUPERGRAPH_PATH, 'utf8');
}
