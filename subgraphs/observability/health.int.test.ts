/**
 * Tenant.health through the gateway: however many windows a request asks for (aliases) and
 * for however many tenants, the observability subgraph reads them in one statement, and each
 * answer equals the one the window gets when asked alone.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InProcessPlatform } from '../../scripts/platform.js';
import { bearer, graphql, startTestPlatform } from '../../test/support/platform.js';

interface Health {
  requestCount: number;
  errorRate: number | null;
  p95LatencyMs: number | null;
  windowMinutes: number;
}
type Answer = { tenants: { edges: { node: { id: string } & Record<string, Health> }[] } };

/** 50 distinct windows from 1 minute to about a day, so that the counts differ. */
const WINDOWS = Array.from({ length: 50 }, (_, i) => 1 + i * 29);
const FIELDS = 'requestCount errorRate p95LatencyMs windowMinutes';

let platform: InProcessPlatform;
let headers: Record<string, string>;
beforeAll(async () => {
  platform = await startTestPlatform();
  headers = await bearer(['platform_admin']);
});
afterAll(() => platform?.close());

/** `{ tenants(first: 2) { … h<k>: health(windowMinutes: k) … } }` for the given windows. */
function healthQuery(windows: { alias: string; minutes: number }[]): string {
  const aliases = windows.map(({ alias, minutes }) => `${alias}: health(windowMinutes: ${minutes}) { ${FIELDS} }`).join('\n');
  return `{ tenants(first: 2) { edges { node { id\n${aliases} } } } }`;
}

/** Runs the query and returns its answer and the observability subgraph's statements. */
async function measured(query: string): Promise<{ data: Answer; statements: number }> {
  const db = platform.subgraphs.observability.db!;
  const before = db.statementCount;
  const response = await graphql<Answer>(platform.gateway.url, query, { headers });
  expect(response.body.errors).toBeUndefined();
  return { data: response.body.data!, statements: db.statementCount - before };
}

describe('Tenant.health with many aliased windows', () => {
  it('costs one transaction of one query, and answers as each window asked alone', async () => {
    // Seeded telemetry sits on whole minutes, so a window's count changes only when a minute
    // turns: compare answers taken within one minute (retried if one turned in between).
    for (let attempt = 1; ; attempt++) {
      const minute = Math.floor(Date.now() / 60_000);
      const single = await measured(healthQuery([{ alias: 'h', minutes: WINDOWS[0]! }]));
      const many = await measured(
        healthQuery([
          ...WINDOWS.map((minutes) => ({ alias: `h${minutes}`, minutes })),
          // Repeated pairs are loaded once.
          ...WINDOWS.slice(0, 5).map((minutes) => ({ alias: `again${minutes}`, minutes })),
        ]),
      );
      const alone = await Promise.all(WINDOWS.map((minutes) => measured(healthQuery([{ alias: 'h', minutes }]))));
      if (Math.floor(Date.now() / 60_000) !== minute && attempt < 3) continue;

      // One transaction's worth (prelude, the query, commit), the same as for one window.
      expect(single.statements).toBeLessThanOrEqual(5);
      expect(many.statements).toBe(single.statements);

      const edges = many.data.tenants.edges;
      expect(edges).toHaveLength(2);
      const counts = new Set<number>();
      for (const [index, minutes] of WINDOWS.entries()) {
        const expected = alone[index]!.data.tenants.edges;
        for (const [position, edge] of edges.entries()) {
          expect(edge.node.id).toBe(expected[position]!.node.id);
          expect(edge.node[`h${minutes}`], `${edge.node.id} over ${minutes} min`).toEqual(expected[position]!.node.h);
          counts.add(edge.node[`h${minutes}`]!.requestCount);
        }
        if (index < 5) for (const edge of edges) expect(edge.node[`again${minutes}`]).toEqual(edge.node[`h${minutes}`]);
      }
      // The windows really differ (the test would prove nothing over empty telemetry).
      expect(counts.size).toBeGreaterThan(10);
      return;
    }
  });
});
