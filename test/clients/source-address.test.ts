import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../clients/create-client.ts';
import { buildServer } from '../../servers/build-server.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';
import { CLIENTS_PER_SOURCE_ADDRESS, sourceAddressFor } from '../../bench/run/source-address.ts';

/** ClientOptions.localAddress: every connection of a client comes from it, whatever its transport. */

describe('clients connect from their local address', () => {
  let server: BenchServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it.each(['short-polling', 'long-polling', 'ws', 'socket-io', 'sse'] as const)('%s: every connection, publishing included, comes from 127.0.3.1', async (transport) => {
    server = buildServer({ transport });
    const seen = new Set<string>();
    server.app!.server.on('connection', (socket: net.Socket) => seen.add(socket.remoteAddress ?? '?'));
    const port = await server.listen();
    const client = createClient(transport, { host: '127.0.0.1', port, room: 'a', localAddress: '127.0.3.1', onMessage: () => {} });
    await client.connect();
    await client.publish('a', 'hello');
    await client.close();
    expect([...seen]).toEqual(['127.0.3.1']);
  });

  it('tcp: the connection comes from 127.0.3.1', async () => {
    const accepted = new Promise<string | undefined>((resolve) => {
      const bare = net.createServer((socket) => {
        resolve(socket.remoteAddress);
        socket.destroy();
        bare.close();
      });
      bare.listen(0, '127.0.0.1', () => {
        const client = createClient('tcp', { host: '127.0.0.1', port: (bare.address() as net.AddressInfo).port, room: 'a', localAddress: '127.0.3.1', reconnect: false, onMessage: () => {} });
        client.connect().catch(() => undefined);
        void accepted.then(() => client.close());
      });
    });
    expect(await accepted).toBe('127.0.3.1');
  });

  it('spreads a pool over 127.0.0.0/8 only past one address\'s share, and only toward loopback', () => {
    const per = CLIENTS_PER_SOURCE_ADDRESS;
    expect(sourceAddressFor(0, per, '127.0.0.1')).toBeUndefined();
    expect(sourceAddressFor(0, per + 1, '127.0.0.1')).toBe('127.0.1.1');
    expect(sourceAddressFor(per - 1, 50_000, '127.0.0.1')).toBe('127.0.1.1');
    expect(sourceAddressFor(per, 50_000, '127.0.0.1')).toBe('127.0.2.1');
    expect(sourceAddressFor(49_999, 50_000, '127.0.0.1')).toBe('127.0.5.1');
    expect(sourceAddressFor(0, 50_000, '10.200.0.2')).toBeUndefined();
  });
});
