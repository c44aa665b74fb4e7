/** `npm run compose`: writes schema/supergraph.graphql from the subgraphs' schema.graphql files. */
import fs from 'node:fs';
import path from 'node:path';
import { composeSupergraph, ROOT, SUPERGRAPH_PATH } from '../lib/federation/compose.js';

try {
  const sdl = composeSupergraph();
  const previous = fs.existsSync(SUPERGRAPH_PATH) ? fs.readFileSync(SUPERGRAPH_PATH, 'utf8') : '';
  fs.writeFileSync(SUPERGRAPH_PATH, sdl);
  console.log(`${path.relative(ROOT, SUPERGRAPH_PATH)} ${previous === sdl ? 'unchanged' : 'written'}`);
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
}
