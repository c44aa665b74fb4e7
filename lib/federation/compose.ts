/**
 * Composes the registered subgraphs' SDL files into the supergraph with @apollo/composition.
 * `npm run compose` writes the result to schema/supergraph.graphql; a test fails when the
 * committed file differs from what this returns.
 */
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { readSubgraphSdl } from '../schema-file.js';
import { defaultSubgraphUrl, ROOT, serviceFolder, SUBGRAPH_NAMES } from '../services.js';

export { ROOT };
export { readCommittedSupergraph, SUPERGRAPH_PATH } from './supergraph-file.js';

/** The supergraph of every registered subgraph, each recorded at its default local URL (the gateway overrides it from config). */
export function composeSupergraph(): string {
  const services = SUBGRAPH_NAMES.map((name) => ({
    name,
    url: defaultSubgraphUrl(name),
    typeDefs: parse(readSubgraphSdl(serviceFolder(name))),
  }));
  const result = composeServices(services);
  if (result.errors) {
    throw new Error(`Composition failed:\n${result.errors.map((error) => `  - ${error.message}`).join('\n')}`);
  }
  return result.supergraphSdl.trimEnd() + '\n';
}
