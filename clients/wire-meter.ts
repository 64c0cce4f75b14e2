import http from 'node:http';
import type { Socket } from 'node:net';

/** Bytes in each direction, as counted by the kernel-facing socket (bytesRead / bytesWritten). */
export interface ByteCount {
  read: number;
  written: number;
}

/** A client's bytes on the wire, split at the moment it became ready (connection set-up) and after (steady state). */
export interface WireBytes {
  setup: ByteCount;
  steady: ByteCount;
  /** Sockets opened over the client's life (a re-poll on a kept-alive socket opens none). */
  sockets: number;
}

/**
 * Counts everything a client reads and writes on its real TCP sockets: HTTP headers, handshakes, upgrades,
 * framing, heartbeats. Every socket the client opens must go through `track()` (the agent below does it
 * for node:http, which ws and engine.io-client use too).
 */
export class WireMeter {
  readonly #open = new Set<Socket>();
  #closedRead = 0;
  #closedWritten = 0;
  #sockets = 0;
  #setup: ByteCount | undefined;

  track(socket: Socket): void {
    if (this.#open.has(socket)) return;
    this.#open.add(socket);
    this.#sockets++;
    socket.once('close', () => {
      this.#closedRead += socket.bytesRead;
      this.#closedWritten += socket.bytesWritten;
      this.#open.delete(socket);
    });
  }

  /** The client's sockets open now (the slow-consumer scenario pauses them to stall the client). */
  openSockets(): Socket[] {
    return [...this.#open];
  }

  /** Totals so far, over closed and open sockets. */
  total(): ByteCount {
    let read = this.#closedRead;
    let written = this.#closedWritten;
    for (const socket of this.#open) {
      read += socket.bytesRead;
      written += socket.bytesWritten;
    }
    return { read, written };
  }

  /** Marks the end of connection set-up: bytes until now are set-up, bytes after are steady state. */
  markReady(): void {
    this.#setup ??= this.total();
  }

  /** Starts a fresh steady-state window (after a warm-up) without touching the set-up figure. */
  resetSteady(): void {
    this.#setup ??= this.total();
    this.#steadyBase = this.total();
  }
  #steadyBase: ByteCount | undefined;

  bytes(): WireBytes {
    const total = this.total();
    const setup = this.#setup ?? total;
    const base = this.#steadyBase ?? setup;
    return {
      setup: { ...setup },
      steady: { read: total.read - base.read, written: total.written - base.written },
      sockets: this.#sockets,
    };
  }

  /** An http.Agent (keep-alive) whose sockets are all tracked; pass it to node:http, ws or socket.io-client. */
  agent(options: http.AgentOptions = {}): http.Agent {
    const agent = new http.Agent({ keepAlive: true, ...options });
    // createConnection is the one place every socket of this agent is made, reused or not.
    const create = agent.createConnection.bind(agent) as (opts: object, cb?: unknown) => Socket;
    agent.createConnection = ((opts: object, cb?: unknown) => {
      const socket = create(opts, cb);
      this.track(socket);
      return socket;
    }) as typeof agent.createConnection;
    return agent;
  }
}
