import net from 'node:net';

export interface RecordingProxy {
  port: number;
  /** Every byte the client sent so far. */
  up(): Buffer;
  /** Every byte the server sent so far. */
  down(): Buffer;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `targetPort` on 127.0.0.1 that records every byte in each direction. */
export async function recordingProxy(targetPort: number): Promise<RecordingProxy> {
  const up: Buffer[] = [];
  const down: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
    }
    client.on('data', (d: Buffer) => (up.push(d), upstream.write(d)));
    upstream.on('data', (d: Buffer) => (down.push(d), client.write(d)));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    up: () => Buffer.concat(up),
    down: () => Buffer.concat(down),
    close: () => new Promise<void>((resolve) => (sockets.forEach((s) => s.destroy()), server.close(() => resolve()))),
  };
}

/** The first HTTP exchange in a capture: where the request ends, where the answer's headers end, its body. */
export function firstHttpExchange(up: Buffer, down: Buffer): { requestEnd: number; headerEnd: number; bodyLength: number; body: string } {
  const requestEnd = up.indexOf('\r\n\r\n') + 4;
  const headerEnd = down.indexOf('\r\n\r\n') + 4;
  const bodyLength = Number(/\r\ncontent-length: (\d+)\r\n/i.exec(down.subarray(0, headerEnd).toString('latin1'))![1]);
  const body = down.subarray(headerEnd, headerEnd + bodyLength).toString('utf8');
  return { requestEnd, headerEnd, bodyLength, body };
}
