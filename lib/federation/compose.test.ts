/**
 * Composition keeps what the gateway reads from the supergraph: every subgraph at its
 * default URL, and every policy directive a subgraph declares (the gateway's field policies
 * come from the supergraph alone). That the committed file is up to date: test/supergraph.test.ts.
 */
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { policyMapOf } from '../policy/spec.js';
import { readSubgraphSdl } from '../schema-file.js';
import { defaultSubgraphUrl, serviceFolder, SUBGRAPH_NAMES } from '../services.js';
import { composeSupergraph, readCommittedSupergraph, SUPERGRAPH_PATH } from './compose.js';

const supergraph = composeSupergraph();

describe('composeSupergraph', () => {
  it('is deterministic and ends with exactly one newline (so the committed file diffs cleanly)', () => {
    expect(composeSupergraph()).toBe(supergraph);
    expect(supergraph.endsWith('\n')).toBe(true);
    expect(supergraph.endsWith('\n\n')).toBe(false);
  });

  it('records every registered subgraph at its default URL', () => {
    for (const name of SUBGRAPH_NAMES) {
      expect(supergraph).toMatch(new RegExp(`@join__graph\\(name: "${name}", url: "${defaultSubgraphUrl(name).replace(/[.]/g, '\\.')}"\\)`));
    }
  });

  it('keeps every policy every subgraph declares: no field loses a scope, entitlement or @phi', () => {
    const composed = policyMapOf(parse(supergraph));
    let checked = 0;
    for (const name of SUBGRAPH_NAMES) {
      for (const [field, policy] of policyMapOf(parse(readSubgraphSdl(serviceFolder(name))))) {
        const kept = composed.get(field);
        expect(kept, `${name}: ${field}`).toBeDefined();
        if (policy.phi) expect(kept!.phi, `${name}: ${field} @phi`).toBe(true);
        expect(kept!.entitlements, `${name}: ${field} entitlements`).toEqual(expect.arrayContaining(policy.entitlements));
        for (const alternative of policy.scopes) expect(kept!.scopes, `${name}: ${field} scopes`).toContainEqual(alternative);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});

describe('readCommittedSupergraph', () => {
  it('reads schema/supergraph.graphql', () => {
    expect(SUPERGRAPH_PATH.endsWith('schema/supergraph.graphql')).toBe(true);
    expect(readCommittedSupergraph()).toContain('@join__graph');
  });
});
