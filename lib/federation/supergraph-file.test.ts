import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCommittedSupergraph, SUPERGRAPH_PATH } from './supergraph-file.js';

describe('readCommittedSupergraph', () => {
  it('reads schema/supergraph.graphql as it is committed', () => {
    expect(SUPERGRAPH_PATH).toMatch(/schema[/\\]supergraph\.graphql$/);
    expect(readCommittedSupergraph()).toBe(fs.readFileSync(SUPERGRAPH_PATH, 'utf8'));
  });
});
