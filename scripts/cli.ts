/**
 * `npm run cli -- <command>`: developer tools.
 *
 *   token --role <role>[,<role>] [--tenant <id>] [--partner <id>] [--scopes a,b] [--ttl <seconds>] [--subject <name>]
 *       Prints a development JWT from the platform's own issuer (keys in CAREGRAPH_DATA_DIR).
 */
import { parseArgs } from 'node:util';
import { DevIssuer } from '../lib/auth/dev-issuer.js';
import { ConfigError, loadConfig } from '../lib/config.js';
import { isUuid } from '../lib/ids.js';
import { ROLES, type Role } from '../lib/policy/spec.js';

const USAGE = `Usage:
  npm run cli -- token --role <${ROLES.join('|')}>[,<role>…] [--tenant <uuid>] [--partner <uuid>]
                       [--scopes <scope,scope>] [--ttl <seconds>] [--subject <name>]`;

async function token(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      role: { type: 'string' },
      tenant: { type: 'string' },
      partner: { type: 'string' },
      scopes: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      subject: { type: 'string' },
    },
  });
  const roles = (values.role ?? '').split(',').filter(Boolean);
  const unknown = roles.filter((role) => !ROLES.includes(role as Role));
  if (roles.length === 0 || unknown.length > 0) throw new Error(`--role must name roles from: ${ROLES.join(', ')}`);
  if (values.tenant && !isUuid(values.tenant)) throw new Error('--tenant must be a tenant id (UUID)');
  if (values.partner && !isUuid(values.partner)) throw new Error('--partner must be a partner id (UUID)');
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 7 * 24 * 3600) throw new Error('--ttl must be 1–604800 seconds');
  const config = loadConfig();
  if (config.auth.mode !== 'dev') throw new Error('Tokens can be minted only with the development issuer (AUTH_JWKS_URL unset)');
  const issuer = await DevIssuer.open(config);
  console.log(
    await issuer.mint({
      subject: values.subject ?? `cli-${roles.join('-')}`,
      roles: roles as Role[],
      tenantId: values.tenant ?? null,
      partnerId: values.partner ?? null,
      scopes: values.scopes?.split(',').filter(Boolean),
      ttlSeconds: ttl,
    }),
  );
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'token') return token(rest);
  console.error(USAGE);
  process.exitCode = command === undefined || command === 'help' ? 0 : 2;
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : (error as Error).message);
  process.exitCode = 1;
});
