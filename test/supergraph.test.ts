/** The committed supergraph must be exactly what composing the subgraphs' SDL gives today. */
import { describe, expect, it } from 'vitest';
import { composeSupergraph, readCommittedSupergraph } from '../lib/federation/compose.js';
import { SUBGRAPH_NAMES } from '../lib/services.js';

describe('schema/supergraph.graphql', () => {
  it('is up to date with the subgraph schemas (run `npm run compose` when this fails)', () => {
    expect(readCommittedSupergraph()).toBe(composeSupergraph());
  });

  it('contains every registered subgraph, and the Tenant entity defined or extended by each', () => {
    const sdl = readCommittedSupergraph();
    for (const graph of SUBGRAPH_NAMES.map((name) => name.toUpperCase().replace(/-/g, '_'))) {
      expect(sdl).toMatch(new RegExp(`@join__type\\(graph: ${graph}, key: "id"\\)`));
    }
  });
});
