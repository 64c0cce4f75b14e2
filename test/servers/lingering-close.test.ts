import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../servers/build-server.ts';
import type { BenchServer } from '../../servers/transport-plugin.ts';

/**
 * A 413 for a body over bodyLimit closes the connection (Fastify's Connection: close): the server must go on
 * reading the rest of the body after its answer, so a client still writing gets no reset and can read it.
 */
describe('lingering close', () => {
  let server: BenchServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const transport of ['short-polling', 'long-polling', 'sse'] as const) {
    it(`${transport}: a client still writing its oversized body after the 413 gets no reset, then the server's end`, async () => {
      server = buildServer({ transport, limits: { bodyLimit: 1_024 } });
      const port = await server.listen();
      // Half-open, as a client that goes on writing after the server's FIN (Node's own would stop at once).
      const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      const chunk = Buffer.alloc(16_384, 'x');
      let received = '';
      let error: string | undefined;
      socket.on('data', (data: Buffer) => (received += data.toString('latin1')));
      socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
      const ended = new Promise<void>((resolve) => socket.once('end', resolve));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(`POST /publish HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${chunk.length * 4}\r\n\r\n`);
      socket.write(chunk);
      await expect.poll(() => received, { timeout: 5_000 }).toMatch(/^HTTP\/1\.1 413 /);
      // The answer and the server's FIN are in; the client goes on sending the body it announced, as a naive
      // client does. Destroyed at once (Node's default), the server's kernel would answer with a reset: EPIPE.
      await ended;
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        socket.write(chunk);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(error).toBeUndefined();
      expect(received).toContain('TB_ERR_BODY_TOO_LARGE');
      // The client ends: the server lets go at once, not after its 2 s bound.
      socket.end();
      await closed;
    });
  }
});
