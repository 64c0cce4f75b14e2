import type { Socket } from 'socket.io';

/**
 * The slow-consumer bound for Socket.IO, which has none of its own: what the server holds for one client is
 * the packets waiting in its engine.io socket's write buffer (queued while the transport is busy) plus the
 * bytes the websocket under it has not handed to the kernel yet (`bufferedAmount`). A client holding more
 * than `maxBufferedBytes` when a message is due is handed to `drop`. Only sockets whose packets had to wait
 * are looked at, so a room of clients that keep up costs nothing.
 */

interface EnginePacket {
  data?: string | Buffer | ArrayBuffer;
}

interface EngineConn {
  transport: { writable: boolean; socket?: { bufferedAmount?: number } };
  writeBuffer: EnginePacket[];
  on(event: 'packetCreate', listener: (packet: EnginePacket) => void): void;
  on(event: 'flush', listener: () => void): void;
}

const packetBytes = (packet: EnginePacket): number => {
  const { data } = packet;
  // Encoded text is ASCII JSON here (a character is a byte); +1 for the engine.io packet type.
  return 1 + (typeof data === 'string' ? data.length : (data?.byteLength ?? 0));
};

/** Bytes the websocket transport under this socket still holds (0 for polling, whose answers are not kept). */
const wsBuffered = (socket: Socket): number => (socket.conn as unknown as EngineConn).transport.socket?.bufferedAmount ?? 0;

export class SlowConsumerGuard {
  /** Sockets that had packets wait, with the bytes waiting in their engine.io write buffer. */
  readonly #waiting = new Map<Socket, number>();

  constructor(
    private readonly maxBufferedBytes: number,
    private readonly drop: (socket: Socket) => void,
  ) {}

  /** Starts counting what `socket` has queued. */
  watch(socket: Socket): void {
    const conn = socket.conn as unknown as EngineConn;
    if (!conn.transport.writable && conn.writeBuffer.length > 0) {
      this.#waiting.set(socket, conn.writeBuffer.reduce((sum, packet) => sum + packetBytes(packet), 0));
    }
    conn.on('packetCreate', (packet) => {
      // A packet for a writable transport leaves at once; one for a busy transport waits in the write buffer.
      if (!conn.transport.writable) this.#waiting.set(socket, (this.#waiting.get(socket) ?? 0) + packetBytes(packet));
    });
    conn.on('flush', () => {
      // The write buffer went to the transport: its bytes are now in the websocket's bufferedAmount.
      if (this.#waiting.has(socket)) this.#waiting.set(socket, 0);
    });
    socket.once('disconnect', () => this.#waiting.delete(socket));
  }

  /** Drops every socket holding more than the bound; forgets those that have caught up. Call before each message. */
  check(): void {
    for (const [socket, waiting] of this.#waiting) {
      const queued = waiting + wsBuffered(socket);
      if (queued > this.maxBufferedBytes) {
        this.#waiting.delete(socket);
        this.drop(socket);
      } else if (queued === 0) {
        this.#waiting.delete(socket);
      }
    }
  }
}
