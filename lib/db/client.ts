/**
 * Standalone connections: migrations, seeding, creating a tenant's database, moving its rows —
 * work outside the services' pools.
 */
import pg from 'pg';

/**
 * A connected client whose lost connection cannot end the process. A server that ends the
 * connection while it sits between statements (a restart, a terminate) makes the client emit
 * 'error', and an 'error' nobody hears is an uncaught exception; this client hears it, and its
 * next statement fails with a connection error instead. A statement in flight fails on its own.
 */
export async function connectClient(connectionString: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** connectClient for each of `urls`, in order; when one fails, those already connected are ended. */
export async function connectClients(urls: readonly string[]): Promise<pg.Client[]> {
  const clients: pg.Client[] = [];
  try {
    for (const url of urls) clients.push(await connectClient(url));
  } catch (error) {
    await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
    throw error;
  }
  return clients;
}
