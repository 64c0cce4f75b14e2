import { EndpointRing } from './endpoint-ring.ts';
import { headersFor } from './request-headers.ts';
import { io, type Socket } from 'socket.io-client';
import { nowUs } from '../protocol/clock.ts';
import type { FeedMessage } from '../protocol/message.ts';
import type { ClientFactory, ClientOptions, TransportClient } from './client.ts';
import { BACKOFF } from './backoff.ts';
import { MeteredAgent } from './metered-agent.ts';
import { asError } from './server-error.ts';
import { ServerError } from './server-error.ts';
import { WireMeter, type WireBytes } from './wire-meter.ts';

/** How long a publish waits for its ack, ms (Socket.IO buffers emits while reconnecting). */
const PUBLISH_TIMEOUT_MS = 10_000;

type WireMessage = Omit<FeedMessage, 'payload'> & { payload: string | Buffer | ArrayBuffer | Uint8Array };

/** A binary feed's message arrives with its payload as bytes; hand it on as the text transports do (base64). */
function toFeedMessage(message: WireMessage): FeedMessage {
  if (typeof message.payload === 'string') return message as FeedMessage;
  const bytes = message.payload instanceof ArrayBuffer ? Buffer.from(message.payload) : Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
  return { seq: message.seq, room: message.room, ts: message.ts, at: message.at, payload: bytes.toString('base64'), enc: 'base64' };
}

/**
 * Socket.IO client (socket.io-client). Every HTTP poll and the websocket go through the meter's agent:
 * engine.io-client in Node hands `agent` to xmlhttprequest-ssl (which passes it to http.request) and to ws.
 * Ready = connected and, when the transport is polling-upgrade, upgraded (or the upgrade failed).
 */
class SocketIoClient implements TransportClient {
  readonly transport = 'socket-io' as const;
  readonly meter = new WireMeter();
  readonly #options: ClientOptions;
  /**
   * When the latest chunk arrived on any of the client's sockets. A message is handed over while its last
   * chunk is processed (or later), so this is its arrival, not the end of engine.io's and socket.io's decoding.
   */
  #chunkAt = 0;
  readonly #http: MeteredAgent;
  #lastSeq: number;
  #socket: Socket | undefined;
  #ready = false;
  #closing = false;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#http = new MeteredAgent(this.meter, () => (this.#chunkAt = nowUs()), options.localAddress);
    this.#lastSeq = options.cursor ?? 0;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  connect(): Promise<void> {
    if (this.#socket || this.#closing) return Promise.reject(new Error('socket.io client: connect() may be called once'));
    const { host = '127.0.0.1', port, room, onError } = this.#options;
    const websocketOnly = this.#options.socketIoTransports === 'websocket';
    const socket = io(`http://${host}:${port}`, {
      path: '/socket.io/',
      transports: websocketOnly ? ['websocket'] : ['polling', 'websocket'],
      // Typed as string | boolean for browsers; in Node it is handed to http.request and ws as an http.Agent.
      agent: this.#http.agent as unknown as string,
      // The server does not compress; offering it would only add handshake bytes. (false is documented, not typed.)
      perMessageDeflate: false as unknown as { threshold: number },
      // A function, so every reconnect sends the current cursor (used when the session cannot be recovered).
      auth: (cb) => cb({ room, cursor: this.#lastSeq }),
      reconnection: this.#options.reconnect !== false,
      // The one backoff of every client (clients/backoff.ts), without Socket.IO's default ±50 % jitter.
      reconnectionDelay: BACKOFF.firstMs,
      reconnectionDelayMax: BACKOFF.maxMs,
      randomizationFactor: 0,
      forceNew: true,
      // A browser's headers when the run asks for them (run --request-headers): in Node, engine.io sends them
      // on its polling requests and the websocket upgrade alike; a browser's upgrade would send fewer.
      extraHeaders: Object.fromEntries(headersFor(this.#options.requestHeaders, 'fetch', { host, port })),
      autoConnect: false,
    });
    this.#socket = socket;
    // Other nodes sharing the feed (run --nodes): after a failed reconnect attempt the next goes to the next node,
    // whose handshake gets this client's cursor (auth) and answers it from the feed.
    const endpoints = new EndpointRing({ host, port }, this.#options.failover);
    if (endpoints.size > 1) {
      socket.io.on('reconnect_error', () => {
        const next = endpoints.advance();
        // Manager.uri is private in the typings; each reconnect opens a new engine from it.
        (socket.io as unknown as { uri: string }).uri = `http://${next.host}:${next.port}`;
      });
    }
    // Once upgraded, the polling connections sit idle in the keep-alive agent: two files here and two in the
    // server per client, which ran this process out of its 20,000 files at 6,664 clients. Each new engine (a
    // reconnect makes one) closes them once it has upgraded, and again when the last poll's answer frees its socket.
    socket.io.on('open', () => {
      const engine = socket.io.engine;
      engine.once('upgrade', () => {
        this.#http.closeIdle();
        this.#http.agent.once('free', () => this.#http.closeIdle());
      });
    });
    socket.on('message', (message: WireMessage) => {
      const receivedAt = this.#chunkAt;
      const feedMessage = toFeedMessage(message);
      this.#lastSeq = feedMessage.seq;
      try {
        this.#options.onMessage(feedMessage, receivedAt);
      } catch (error) {
        // A throwing callback must not take the connection (or the process) down with it.
        this.#options.onError?.(asError(error));
      }
    });
    // The server lost its log (it restarted, so recovery failed too): adopt its numbering; the backlog follows.
    socket.on('reset', () => {
      this.#lastSeq = 0;
    });
    socket.on('disconnect', (reason) => {
      if (this.#closing) return;
      // The server disconnecting on purpose (not a drop) is final: Socket.IO does not reconnect after it.
      if (reason === 'io server disconnect' || this.#options.reconnect === false) onError?.(new Error(`socket.io client: disconnected (${reason})`));
    });
    return new Promise((resolve, reject) => {
      const markReady = () => {
        if (this.#ready) return;
        this.#ready = true;
        this.meter.markReady();
        resolve();
      };
      socket.on('connect', () => {
        if (this.#ready) return;
        const engine = socket.io.engine;
        if (websocketOnly || engine.transport.name === 'websocket') return markReady();
        engine.once('upgrade', markReady);
        engine.once('upgradeError', markReady);
      });
      socket.on('connect_error', (error) => {
        if (!this.#ready) {
          // A refused handshake or no server: report it to connect() and stop retrying.
          socket.disconnect();
          this.#closing = true;
          reject(error);
          return;
        }
        onError?.(error);
      });
      socket.connect();
    });
  }

  async publish(room: string, payload: string): Promise<number> {
    const socket = this.#socket;
    if (!socket?.connected) throw new Error('socket.io client: not connected');
    const answer = (await socket.timeout(PUBLISH_TIMEOUT_MS).emitWithAck('publish', { room, payload })) as {
      seq?: number;
      error?: { code: string; message: string };
    };
    if (answer?.error) throw new ServerError(answer.error.code, answer.error.message);
    if (typeof answer?.seq !== 'number') throw new Error('socket.io client: publish ack without a seq');
    return answer.seq;
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#socket?.disconnect();
    // Let the disconnect packet and the websocket close frame leave before pooled HTTP sockets are cut.
    await new Promise((resolve) => setImmediate(resolve));
    // The upgraded websocket is not the agent's any more: it gets the grace period to close by itself.
    await this.#http.destroy();
  }

  bytes(): WireBytes {
    return this.meter.bytes();
  }
}

export const createSocketIoClient: ClientFactory = (options) => new SocketIoClient(options);
