import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../clients/create-client.ts';
import type { TransportClient } from '../../clients/client.ts';
import { buildServer } from '../../servers/build-server.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';

/**
 * A Socket.IO client that upgraded keeps one connection, not its idle polling ones too: three per client ran a
 * 10,000-client storm out of the load process's 20,000 open files at client 6,664 ("xhr poll error").
 */
describe('#socket.io client connections', () => {
  let server: BenchServer | undefined;
  const clients: TransportClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await server?.close();
    server = undefined;
  });

  it('holds one connection per client once upgraded', async () => {
    server = buildServer({ transport: 'socket-io' });
    const port = await server.listen();
    for (let i = 0; i < 20; i++) {
      const client = createClient('socket-io', { host: '127.0.0.1', port, room: 'a', onMessage: () => {} });
      clients.push(client);
      await client.connect();
    }
    const open = () => new Promise<number>((resolve, reject) => server!.app!.server.getConnections((error, n) => (error ? reject(error) : resolve(n))));
    // The last polls' sockets close as their answers come back.
    const deadline = Date.now() + 3_000;
    while ((await open()) > 20 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await open()).toBe(20);
  });
});
