/**
 * The environment of an `npm start` run beside anything else on the machine: a data folder of
 * its own, every service of the registry on a free loopback port (and each subgraph's URL on
 * it), the embedded database whatever the caller's DATABASE_URL, and keys from the data folder
 * rather than the caller's environment. Scenario C times such starts; the launcher's fault test
 * kills processes of one.
 */
import net from 'node:net';
import { SERVICE_LIST } from '../../lib/services.js';

export async function npmStartEnvironment(dataDir: string, extra: NodeJS.ProcessEnv = {}): Promise<{ env: NodeJS.ProcessEnv; gatewayPort: number }> {
  const listening = SERVICE_LIST.filter((service) => service.port);
  const ports = await freePorts(listening.length);
  const env: NodeJS.ProcessEnv = { ...process.env, CAREGRAPH_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra };
  let gatewayPort = 0;
  listening.forEach((service, index) => {
    const port = ports[index]!;
    env[service.port!.variable] = String(port);
    if (service.url) env[service.url.variable] = `http://127.0.0.1:${port}/graphql`;
    if (service.kind === 'gateway') gatewayPort = port;
  });
  delete env.DATABASE_URL;
  delete env.CONTEXT_SIGNING_KEY;
  delete env.CONTEXT_VERIFY_KEY;
  return { env, gatewayPort };
}

/** `count` distinct loopback ports free now (all held open together, so none repeats). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const server = net.createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
