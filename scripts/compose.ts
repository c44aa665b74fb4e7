/**
 * `npm run compose`: writes schema/supergraph.graphql from the subgraphs' schema.graphql files
 * and prints the policy coverage (fields by policy kind); exits 1 when a field lacks a decision.
 */
import fs from 'node:fs';
import path from 'node:path';
import { composeSupergraph, ROOT, SUPERGRAPH_PATH } from '../lib/federation/compose.js';
import { formatCoverage, policyCoverage, readReviewedFields } from '../lib/policy/coverage.js';

try {
  const sdl = composeSupergraph();
  const previous = fs.existsSync(SUPERGRAPH_PATH) ? fs.readFileSync(SUPERGRAPH_PATH, 'utf8') : '';
  fs.writeFileSync(SUPERGRAPH_PATH, sdl);
  console.log(`${path.relative(ROOT, SUPERGRAPH_PATH)} ${previous === sdl ? 'unchanged' : 'written'}`);
  // Every field needs a policy decision (schema/policy-coverage.json lists the reviewed public ones).
  const coverage = policyCoverage(sdl, readReviewedFields());
  console.log(formatCoverage(coverage));
  if (coverage.uncovered.length || coverage.suspectedPhi.length || coverage.stale.length) process.exitCode = 1;
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
