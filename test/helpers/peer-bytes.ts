import type net from 'node:net';

/**
 * What the clients of server-side `sockets` should have counted: what the server wrote is what they read,
 * and the other way round.
 */
export function peerBytes(sockets: Iterable<net.Socket>): { read: number; written: number } {
  let read = 0;
  let written = 0;
  for (const socket of sockets) {
    read += socket.bytesWritten;
    written += socket.bytesRead;
  }
  return { read, written };
}
