/**
 * A secret that every process started from one data folder must agree on: taken from the
 * environment when the operator set it, otherwise generated once into a file of the data
 * folder that only the current user can read.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface SecretSource {
  /** The configured value (an environment variable); used as is when set. */
  configured: string | undefined;
  /** Folder the generated secret is kept in. */
  dataDir: string;
  /** File name inside `dataDir`. */
  file: string;
  /** Random bytes of a generated secret (written base64url-encoded). */
  bytes?: number;
}

/**
 * The configured secret, or the one in `dataDir/file`, generating it (mode 0600) when absent.
 * Concurrent first starts agree: the file is created exclusively and the loser reads the
 * winner's secret.
 */
export function resolveSecret(source: SecretSource): string {
  if (source.configured) return source.configured;
  const file = path.join(source.dataDir, source.file);
  const existing = readSecret(file);
  if (existing) return existing;
  fs.mkdirSync(source.dataDir, { recursive: true });
  const secret = randomBytes(source.bytes ?? 32).toString('base64url');
  try {
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process created it first: use theirs.
    const raced = readSecret(file);
    if (raced) return raced;
    throw new Error(`${file} is empty: delete it and a new secret is generated at the next start`, { cause: error });
  }
}

/** The secret kept in `file`, or undefined when there is none (missing or empty file). */
export function readSecret(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
