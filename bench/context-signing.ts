/**
 * What asymmetric context signing costs (docs/adr/0002-asymmetric-tenant-context.md): sign
 * and verify of one forwarded tenant context, HMAC-SHA256 (the shared secret used before) vs
 * Ed25519 (the gateway's key pair now), in CPU microseconds per operation.
 *
 *   npx tsx bench/context-signing.ts [iterations]      (default 20000)
 *
 * Both algorithms get the same surrounding work — JSON and base64url of a realistic context,
 * and on verify the decode of its claims — so the ratio is the algorithm's alone. The last
 * two rows are the production path (ContextSigner / ContextVerifier, with schema parse,
 * audience, expiry and request binding checks): what a subgraph fetch costs end to end.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import os from 'node:os';
import { CONTEXT_HEADER, ContextSigner, ContextVerifier, REQUEST_ID_HEADER, type TenantContext } from '../lib/tenant-context.js';

const iterations = Number(process.argv[2] ?? 20_000);
const ROUNDS = 3;
if (!Number.isInteger(iterations) || iterations < 1) throw new Error('iterations must be a positive integer');

/** What the gateway forwards for a tenant clinician (see gateway/context.ts). */
const context: TenantContext = {
  requestId: '0f8fad5b-d9cb-469f-a165-70867728950e',
  correlationId: null,
  access: 'tenant',
  tenantId: '6f1c2a9e-5b7d-4c3a-9e8f-1a2b3c4d5e6f',
  principal: { id: 'user:clinician-0042', kind: 'user', partnerId: null },
  roles: ['clinician'],
  scopes: ['tenant:read', 'clinical:read', 'billing:read', 'telemetry:read', 'phi:read'],
  entitlements: ['advanced_analytics', 'appointment_reminders', 'claims_workflow'],
  tier: 'premium',
  cohort: 'early-access',
  purpose: 'treatment',
  breakGlass: false,
};

const secret = randomBytes(48);
const pair = generateKeyPairSync('ed25519');
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The same JWS framing for both algorithms; only the signature primitive differs. */
function signWith(alg: 'HS256' | 'EdDSA', signature: (input: Buffer) => Buffer): () => string {
  return () => {
    const now = Math.floor(Date.now() / 1000);
    const input = `${b64({ alg, typ: 'JWT' })}.${b64({ ctx: context, iss: 'caregraph-gateway', aud: 'erp', iat: now, exp: now + 30 })}`;
    return `${input}.${signature(Buffer.from(input)).toString('base64url')}`;
  };
}
function verifyWith(check: (input: Buffer, signature: Buffer) => boolean): (token: string) => unknown {
  return (token) => {
    const [header, body, signature] = token.split('.') as [string, string, string];
    if (!check(Buffer.from(`${header}.${body}`), Buffer.from(signature, 'base64url'))) throw new Error('signature');
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
  };
}

const hmacSign = signWith('HS256', (input) => createHmac('sha256', secret).update(input).digest());
const hmacVerify = verifyWith((input, signature) => {
  const expected = createHmac('sha256', secret).update(input).digest();
  return signature.length === expected.length && timingSafeEqual(signature, expected);
});
const edSign = signWith('EdDSA', (input) => sign(null, input, pair.privateKey));
const edVerify = verifyWith((input, signature) => verify(null, input, pair.publicKey, signature));

const signer = new ContextSigner(pair.privateKey, 30);
const verifier = new ContextVerifier(pair.publicKey);

/**
 * CPU microseconds per call of `fn` (user + system time of this process, so that other work on
 * the machine does not count), the median of ROUNDS rounds of `iterations` calls after a
 * warm-up; awaited only when it returns a promise.
 */
async function time(fn: () => unknown): Promise<number> {
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const result = fn();
      if (result instanceof Promise) await result;
    }
  };
  await run(Math.min(2_000, iterations));
  const rounds: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage();
    await run(iterations);
    const used = process.cpuUsage(start);
    rounds.push((used.user + used.system) / iterations);
  }
  return rounds.sort((x, y) => x - y)[Math.floor(ROUNDS / 2)]!;
}

const hmacToken = hmacSign();
const edToken = edSign();
const productionToken = await signer.sign(context, 'erp');
const headers = { [CONTEXT_HEADER]: productionToken, [REQUEST_ID_HEADER]: context.requestId };

const rows: [string, number][] = [
  ['HMAC-SHA256 sign', await time(hmacSign)],
  ['Ed25519 sign', await time(edSign)],
  ['HMAC-SHA256 verify', await time(() => hmacVerify(hmacToken))],
  ['Ed25519 verify', await time(() => edVerify(edToken))],
  ['ContextSigner.sign (production)', await time(() => signer.sign(context, 'erp'))],
  ['ContextVerifier.verify (production)', await time(() => verifier.verify(headers, 'erp', 'graphql'))],
];

const us = (value: number) => value.toFixed(2).padStart(8);
console.log(`context signing: CPU µs per operation, median of ${ROUNDS} rounds of ${iterations}; token ${productionToken.length} bytes`);
console.log(`${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}\n`);
for (const [label, value] of rows) console.log(`${label.padEnd(38)}${us(value)} µs/op`);
const byLabel = new Map(rows);
console.log(`\nEd25519 / HMAC: sign ×${(byLabel.get('Ed25519 sign')! / byLabel.get('HMAC-SHA256 sign')!).toFixed(1)}, verify ×${(byLabel.get('Ed25519 verify')! / byLabel.get('HMAC-SHA256 verify')!).toFixed(1)}`);
