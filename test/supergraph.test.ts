/** The committed supergraph must be exactly what composing the subgraphs' SDL gives today. */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { apiSchemaOf } from '../lib/federation/api-schema.js';
import { composeSupergraph, readCommittedSupergraph } from '../lib/federation/compose.js';
import { partnerContract, readCommittedPartnerContract } from '../lib/federation/partner-contract.js';
import { buildManifest, MANIFEST_FILE, manifestText, OPERATIONS_DIR } from '../lib/trusted-documents.js';
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

  it('has its partner contract up to date (run `npm run compose` when this fails)', () => {
    expect(readCommittedPartnerContract()).toBe(partnerContract(readCommittedSupergraph()));
  });

  it('has the manifest of its trusted documents up to date, each valid against the API (run `npm run compose`)', () => {
    const sdl = readCommittedSupergraph();
    const committed = fs.readFileSync(path.join(OPERATIONS_DIR, MANIFEST_FILE), 'utf8');
    expect(committed).toBe(manifestText(buildManifest(OPERATIONS_DIR, apiSchemaOf(sdl, parse(sdl)))));
  });
});
