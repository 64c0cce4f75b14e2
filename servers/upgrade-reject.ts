import type { Duplex } from 'node:stream';
import type { ErrorBody } from '../protocol/message.ts';

/**
 * Answers an HTTP upgrade request that will not be upgraded: a plain HTTP response with a JSON error body
 * written straight on the socket (Fastify never sees upgrade requests), then the socket ends.
 */
export function rejectUpgrade(socket: Duplex, body: ErrorBody): void {
  // The peer may already be gone; a reset here is not the server's problem.
  socket.on('error', () => socket.destroy());
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const json = JSON.stringify(body);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${body.statusCode} ${body.error}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      '\r\n' +
      json,
  );
}
