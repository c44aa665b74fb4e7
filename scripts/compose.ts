/**
 * `npm run compose`: writes schema/supergraph.graphql from the subgraphs' schema.graphql files,
 * the partner contract (schema/contracts/partner.graphql) and the manifest of the trusted
 * documents (schema/operations/manifest.json), and prints the policy coverage (fields by
 * policy kind); exits 1 when a field lacks a decision or a trusted document is invalid.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'graphql';
import { apiSchemaOf } from '../lib/federation/api-schema.js';
import { composeSupergraph, ROOT, SUPERGRAPH_PATH } from '../lib/federation/compose.js';
import { PARTNER_CONTRACT_PATH, partnerContract } from '../lib/federation/partner-contract.js';
import { formatCoverage, policyCoverage, readReviewedFields } from '../lib/policy/coverage.js';
import { buildManifest, MANIFEST_FILE, manifestText, OPERATIONS_DIR } from '../lib/trusted-documents.js';

/** Writes `text` to `file` and says whether that changed it. */
function writeGenerated(file: string, text: string): void {
  const previous = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  console.log(`${path.relative(ROOT, file)} ${previous === text ? 'unchanged' : 'written'}`);
}

try {
  const sdl = composeSupergraph();
  writeGenerated(SUPERGRAPH_PATH, sdl);
  writeGenerated(PARTNER_CONTRACT_PATH, partnerContract(sdl));
  writeGenerated(path.join(OPERATIONS_DIR, MANIFEST_FILE), manifestText(buildManifest(OPERATIONS_DIR, apiSchemaOf(sdl, parse(sdl)))));
  // Every field needs a policy decision (schema/policy-coverage.json lists the reviewed public ones).
  const coverage = policyCoverage(sdl, readReviewedFields());
  console.log(formatCoverage(coverage));
  if (coverage.uncovered.length || coverage.suspectedPhi.length || coverage.stale.length) process.exitCode = 1;
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
