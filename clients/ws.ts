import { headersFor } from './request-headers.ts';
import net from 'node:net';
import { WebSocket } from 'ws';
import { binaryToFeedMessage, decodeBinaryFrame } from '../protocol/binary-frame.ts';
import { nowUs } from '../protocol/clock.ts';
import type { FeedMessage } from '../protocol/message.ts';
import type { ClientFactory } from './client.ts';
import { ServerError } from './server-error.ts';
import { ResumingClient } from './resuming-client.ts';
import type { ControlFrame } from '../protocol/control-frames.ts';

function refusalError(status: number, body: string): Error {
  try {
    const parsed = JSON.parse(body) as { code?: string; message?: string };
    if (parsed.code) return new ServerError(parsed.code, `${parsed.message ?? ''} (HTTP ${status})`);
  } catch {
    // not JSON: fall through to the status alone
  }
  return new Error(`ws client: upgrade refused with HTTP ${status}`);
}

/** Raw WebSocket client: `/ws?room=R&cursor=N`, resuming from the last seq after an unexpected close. */
class WsClient extends ResumingClient<WebSocket> {
  readonly transport = 'ws' as const;
  /**
   * When the TCP chunk being parsed arrived. ws emits every frame of a chunk in one synchronous loop, so a
   * stamp taken per frame would charge frame k with the handling of frames 1…k−1.
   */
  #chunkAt = 0;

  protected override open(): void {
    const { room } = this.options;
    const { host, port } = this.endpoint;
    const url = `ws://${host}:${port}/ws?room=${encodeURIComponent(room)}&cursor=${this.lastSeq}`;
    const socket = new WebSocket(url, {
      // Offered only when the server under test compresses (run --ws-deflate): otherwise it would only add
      // handshake bytes.
      perMessageDeflate: this.options.wsPerMessageDeflate === true,
      // A browser's upgrade headers when the run asks for them (run --request-headers).
      headers: Object.fromEntries(headersFor(this.options.requestHeaders, 'websocket', { host, port })),
      // A load generator, like autocannon, does not re-validate what the server sends: ws's UTF-8 check is
      // about 5 % of the load process at 100-client fan-out. JSON.parse still checks every frame.
      skipUTF8Validation: true,
      createConnection: ((opts: net.NetConnectOpts & { host?: string; port?: number }) => {
        const localAddress = this.options.localAddress;
        const tcp = net.connect({ host: opts.host, port: Number(opts.port), ...(localAddress ? { localAddress } : {}) });
        this.meter.track(tcp);
        // First in line, before http's and ws's own 'data' listeners (prependListener does not start the flow).
        tcp.prependListener('data', () => (this.#chunkAt = nowUs()));
        return tcp;
      }) as unknown as typeof net.createConnection,
    });
    this.socket = socket;
    let refusal: Error | undefined;
    socket.on('message', (data: Buffer, isBinary) => this.#onFrame(data, isBinary));
    socket.on('error', (error) => {
      if (!refusal) this.options.onError?.(error);
    });
    // A refused upgrade carries a JSON error body: read it so the error says what was wrong.
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < 4_096) body += chunk;
      });
      response.on('error', () => {});
      response.on('end', () => {
        refusal = refusalError(response.statusCode ?? 0, body);
        this.options.onError?.(refusal);
        socket.terminate();
      });
    });
    socket.on('close', (code, reason) => {
      const why = reason.toString();
      const error = refusal ?? new Error(`ws client: connection closed with ${code}${why ? ` ${why}` : ''}`);
      this.socketClosed(socket, error, new Error(`ws client: connection closed (${code}) before the ack`));
    });
  }

  #onFrame(data: Buffer, isBinary: boolean): void {
    const receivedAt = this.#chunkAt;
    if (isBinary) {
      let message: FeedMessage;
      try {
        message = binaryToFeedMessage(decodeBinaryFrame(data));
      } catch (error) {
        this.options.onError?.(error as Error);
        return;
      }
      return this.deliver(message, receivedAt);
    }
    let frame: ControlFrame;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      this.options.onError?.(new Error('ws client: a text frame is not valid JSON'));
      return;
    }
    if (frame.type !== undefined) return this.control(frame);
    this.deliver(frame as unknown as FeedMessage, receivedAt);
  }

  protected override writable(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  protected override write(command: string): void {
    this.socket!.send(command);
  }

  protected override end(socket: WebSocket): void {
    socket.close(1000);
    // A server that never answers the close frame must not hold close() for ws's 30 s.
    setTimeout(() => socket.terminate(), 2_000).unref();
  }
}

export const createWsClient: ClientFactory = (options) => new WsClient(options);
