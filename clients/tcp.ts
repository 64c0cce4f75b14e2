import net from 'node:net';
import { nowUs } from '../protocol/clock.ts';
import { LineSplitter } from '../protocol/line-splitter.ts';
import type { FeedMessage } from '../protocol/message.ts';
import type { ClientFactory } from './client.ts';
import { ResumingClient } from './resuming-client.ts';
import type { ControlFrame } from '../protocol/control-frames.ts';

/** Raw TCP client: newline-delimited JSON; subscribes with its first line and resumes from the last seq. */
class TcpClient extends ResumingClient<net.Socket> {
  readonly transport = 'tcp' as const;
  /** When the chunk being split arrived: every line in it was received then, not when its turn to parse came. */
  #chunkAt = 0;

  protected override open(): void {
    const { room, localAddress } = this.options;
    const { host, port } = this.endpoint;
    const socket = net.connect({ host, port, noDelay: true, ...(localAddress ? { localAddress } : {}) });
    this.meter.track(socket);
    this.socket = socket;
    // Lines from the server are bounded by the server's own payload limit; the client does not cap them.
    const splitter = new LineSplitter(Infinity, (line) => this.#onLine(line), () => {});
    socket.on('connect', () => socket.write(`${JSON.stringify({ type: 'subscribe', room, cursor: this.lastSeq })}\n`));
    socket.on('data', (chunk: Buffer) => {
      this.#chunkAt = nowUs();
      splitter.push(chunk);
    });
    socket.on('error', (error) => this.options.onError?.(error));
    socket.on('close', () =>
      this.socketClosed(socket, new Error('tcp client: connection closed by the server'), new Error('tcp client: connection closed before the ack')),
    );
  }

  #onLine(text: string): void {
    const receivedAt = this.#chunkAt;
    let line: ControlFrame;
    try {
      line = JSON.parse(text);
    } catch {
      this.options.onError?.(new Error('tcp client: a line is not valid JSON'));
      return;
    }
    if (line.type === undefined) this.deliver(line as unknown as FeedMessage, receivedAt);
    else this.control(line);
  }

  protected override writable(): boolean {
    return this.ready && !this.socket!.destroyed;
  }

  protected override write(command: string): void {
    this.socket!.write(`${command}\n`);
  }

  protected override end(socket: net.Socket): void {
    socket.end();
    // A server that never closes its side must not hold close() forever.
    setTimeout(() => socket.destroy(), 2_000).unref();
  }
}

export const createTcpClient: ClientFactory = (options) => new TcpClient(options);
