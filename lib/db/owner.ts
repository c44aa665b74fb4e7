/**
 * Work as the owner role, in one transaction on the admin connection: for seeding and
 * operator tooling, never for requests. Row-level security does not apply to the owner.
 */
import type pg from 'pg';
import { connectClient } from './client.js';
import { OWNER_ROLE } from './roles.js';

/** Runs `work` in a transaction as `caregraph_owner`, optionally with `searchPath` first; rolls back on error. */
export async function asOwner<T>(adminUrl: string, work: (client: pg.Client) => Promise<T>, searchPath?: string): Promise<T> {
  const client = await connectClient(adminUrl);
  try {
    await client.query(`BEGIN; SET LOCAL ROLE ${OWNER_ROLE}${searchPath ? `; SET LOCAL search_path TO ${client.escapeIdentifier(searchPath)}` : ''}`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}
