/** The committed supergraph must be exactly what composing the subgraphs' SDL gives today. */
import { describe, expect, it } from 'vitest';
import { composeSupergraph, readCommittedSupergraph } from '../lib/federation/compose.js';

describe('schema/supergraph.graphql', () => {
  it('is up to date with the subgraph schemas (run `npm run compose` when this fails)', () => {
    expect(readCommittedSupergraph()).toBe(composeSupergraph());
  });

  it('contains every subgraph and the Tenant entity extended by all four', () => {
    const sdl = readCommittedSupergraph();
    for (const graph of ['TENANCY', 'ERP', 'CLINICAL_OPS', 'OBSERVABILITY']) {
      expect(sdl).toMatch(new RegExp(`@join__type\\(graph: ${graph}, key: "id"\\)`));
    }
  });
});
