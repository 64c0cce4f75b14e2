import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WireMeter } from '../../clients/wire-meter.ts';
import { peerBytes } from '../helpers/peer-bytes.ts';

/** A plain net server that records, per accepted socket, what it read and wrote. */
let server: net.Server | undefined;
const serverSockets = new Set<net.Socket>();

afterEach(async () => {
  for (const socket of serverSockets) socket.destroy();
  serverSockets.clear();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function listen(onSocket: (socket: net.Socket) => void): Promise<number> {
  server = net.createServer((socket) => {
    serverSockets.add(socket);
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server!.address() as net.AddressInfo).port;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `text` and resolves once `bytes` bytes have come back. */
const exchange = (socket: net.Socket, text: string, bytes: number) =>
  new Promise<void>((resolve) => {
    let got = 0;
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= bytes) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
    socket.write(text);
  });

const closed = (socket: net.Socket) => new Promise((resolve) => (socket.destroyed && socket.closed ? resolve(undefined) : socket.once('close', resolve)));

describe('#WireMeter', () => {
  it('counts exactly the bytes the server received and sent, split at markReady', async () => {
    const port = await listen((socket) => socket.on('data', (chunk) => socket.write(Buffer.concat([chunk, chunk]))));
    const meter = new WireMeter();
    const socket = await connect(port);
    meter.track(socket);

    await exchange(socket, '0123456789', 20);
    meter.markReady();
    await exchange(socket, 'abcd', 8);

    const bytes = meter.bytes();
    expect(bytes.setup).toEqual({ read: 20, written: 10 });
    expect(bytes.steady).toEqual({ read: 8, written: 4 });
    expect(bytes.sockets).toBe(1);
    expect(meter.total()).toEqual(peerBytes(serverSockets));
    socket.destroy();
  });

  it('still counts sockets after they close, and counts a socket tracked twice once', async () => {
    const port = await listen((socket) => socket.on('data', (chunk) => socket.write(chunk)));
    const meter = new WireMeter();
    for (const text of ['first', 'second!']) {
      const socket = await connect(port);
      meter.track(socket);
      meter.track(socket);
      await exchange(socket, text, text.length);
      socket.end();
      await closed(socket);
    }
    expect(meter.total()).toEqual({ read: 12, written: 12 });
    expect(meter.bytes().sockets).toBe(2);
    // Nothing marked ready: everything so far is set-up.
    expect(meter.bytes().steady).toEqual({ read: 0, written: 0 });
  });

  it('resetSteady starts a new steady window and leaves set-up alone', async () => {
    const port = await listen((socket) => socket.on('data', (chunk) => socket.write(chunk)));
    const meter = new WireMeter();
    const socket = await connect(port);
    meter.track(socket);
    meter.markReady();
    await exchange(socket, 'abc', 3);
    meter.resetSteady();
    await exchange(socket, 'de', 2);
    expect(meter.bytes()).toEqual({ setup: { read: 0, written: 0 }, steady: { read: 2, written: 2 }, sockets: 1 });
    socket.destroy();
  });

  it('tracks every socket its agent opens for node:http, kept-alive ones once', async () => {
    const httpServer = http.createServer((request, response) => response.end('hello'));
    const accepted = new Set<net.Socket>();
    httpServer.on('connection', (socket) => accepted.add(socket));
    await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
    const httpPort = (httpServer.address() as net.AddressInfo).port;
    const meter = new WireMeter();
    const agent = meter.agent();
    const get = () =>
      new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: httpPort, path: '/', agent }, (response) => {
          response.resume();
          response.on('end', resolve);
        }).on('error', reject);
      });
    await get();
    await get();
    expect(meter.bytes().sockets).toBe(1);
    expect(meter.total()).toEqual(peerBytes(accepted));
    agent.destroy();
    httpServer.closeAllConnections();
    await new Promise<void>((resolve) => httpServer.close(() => resolve()));
  });
});
