import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * A lingering close, as nginx's `lingering_close`: when an answer must close its connection while the
 * request's body is still coming (a 413 for a body over bodyLimit, a 400 for JSON that cannot parse), the
 * socket is half-closed after the answer and kept reading, the rest of the body discarded, until the client
 * ends or LINGER_MS passes.
 *
 * Why: Fastify answers such errors with `Connection: close`, and Node then destroys the socket as soon as
 * the answer is written. Unread bytes in the receive buffer make the kernel send a reset, and a client still
 * writing its body gets EPIPE or ECONNRESET and may never read the answer that had arrived: the hostile
 * corpus saw "no answer" to a 1 MiB + 1 body in 5 of 300 tries against short polling, 0 of 300 with this.
 */

/** How long a closing connection keeps reading the rest of a request, ms. */
export const LINGER_MS = 2_000;

/** Node's http server ends a `Connection: close` answer's socket with destroySoon(): make that a lingering close. */
export function installLingeringClose(server: Server): void {
  server.on('connection', (socket: Socket) => {
    socket.destroySoon = function lingeringClose(this: Socket): void {
      // Our answer is written: send FIN, and let Node's parser go on reading (and discarding) the body.
      if (this.writable) this.end();
      const timer = setTimeout(() => this.destroy(), LINGER_MS);
      timer.unref();
      this.once('end', () => this.destroy());
      this.once('close', () => clearTimeout(timer));
    };
  });
}
