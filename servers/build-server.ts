import Fastify, { type FastifyInstance } from 'fastify';
import { clientErrorHandler, installErrorHandling } from './error-handling.ts';
import { errorBody, ERROR_CODES } from '../protocol/error-codes.ts';
import { Feed } from './feed.ts';
import type { MessageFeed } from './message-feed.ts';
import { installLingeringClose } from './lingering-close.ts';
import { isToolError, TOOL_ERRORS } from '../protocol/tool-errors.ts';
import { resolveLimits, type Limits } from '../protocol/limits.ts';
import type { ResolvedServerStart } from '../protocol/server-options.ts';
import { ROOM_PATTERN, type PublishAck, type PublishRequest } from '../protocol/message.ts';
import { type TransportName } from '../protocol/transports.ts';
import { DEFAULT_SOCKET_IO_SETTINGS, type BenchServer, type SocketIoSettings, type TransportContext, type TransportHandle, type TransportPlugin } from './transport-plugin.ts';
import { type ServerStats } from '../protocol/server-ipc.ts';
import { shortPolling } from './short-polling.ts';
import { longPolling } from './long-polling.ts';
import { webSocket } from './ws.ts';
import { socketIo } from './socket-io.ts';
import { serverSentEvents } from './sse.ts';
import { createTcpServer } from './tcp.ts';
import { nowUs } from '../protocol/clock.ts';
import { installCors } from './cors.ts';
import { ConnectionMeter, isClientId } from './connection-meter.ts';

export interface BuildServerOptions {
  transport: TransportName;
  /** The feed to serve; several servers may share one. A new default in-memory feed when omitted. */
  feed?: MessageFeed;
  limits?: Partial<Limits>;
  socketIo?: Partial<SocketIoSettings>;
  /** ws: offer permessage-deflate (off by default). */
  wsPerMessageDeflate?: boolean;
  /** Fastify's logger (off by default: logging on the hot path would be measured too). */
  logger?: boolean;
}

const PLUGINS: Record<Exclude<TransportName, 'tcp'>, TransportPlugin> = {
  'short-polling': shortPolling,
  'long-polling': longPolling,
  ws: webSocket,
  'socket-io': socketIo,
  sse: serverSentEvents,
};

export const publishBodySchema = (limits: Readonly<Limits>) => ({
  type: 'object',
  required: ['room', 'payload'],
  additionalProperties: false,
  properties: {
    room: { type: 'string', pattern: ROOM_PATTERN },
    payload: { type: 'string', maxLength: limits.maxPayload },
  },
});

/** Headers get the same bound as the whole request; expiry is checked every quarter of it, at most 1 s apart (Node: 30 s). */
const requestTimeouts = (ms: number) => ({ headersTimeout: ms, connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.round(ms / 4))) });

/**
 * Builds the server for one transport over `feed`; it does not listen. Every HTTP transport shares the
 * same base: GET /health, POST /publish, JSON errors; the transport adds its own routes.
 */
export function buildServer(options: BuildServerOptions): BenchServer {
  const feed = options.feed ?? new Feed();
  const ctx: TransportContext = {
    feed,
    limits: resolveLimits(options.limits),
    socketIo: Object.freeze({ ...DEFAULT_SOCKET_IO_SETTINGS, ...options.socketIo }),
    wsPerMessageDeflate: options.wsPerMessageDeflate === true,
  };
  if (options.transport === 'tcp') return createTcpServer(ctx);

  const transport = options.transport;
  let published = 0;
  const app: FastifyInstance = Fastify({
    logger: options.logger ?? false,
    bodyLimit: ctx.limits.bodyLimit,
    // Keep-alive sockets of polling clients must not hold close() forever.
    forceCloseConnections: true,
    // Node's request timeout bounds receiving a request (a slowloris), not a held answer such as a long poll.
    requestTimeout: ctx.limits.requestTimeoutMs,
    http: requestTimeouts(ctx.limits.requestTimeoutMs),
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
    clientErrorHandler,
  });
  installErrorHandling(app);
  installLingeringClose(app.server);
  // Every server serves pages of other origins (the live page, browser clients) as well as Node clients, so a
  // browser step and a Node step share one: the CORS headers go only on answers to requests with an Origin, and
  // only sockets whose requests name a client are metered, so a Node client's bytes and costs stay what they were.
  installCors(app);
  const handle: TransportHandle = PLUGINS[transport](app, ctx);
  // After the plugin: Socket.IO takes over the server's request listeners when it attaches.
  installMeterRoute(app, new ConnectionMeter(app.server));

  const stats = (): ServerStats => ({ transport, published, ...handle.stats() });

  app.get('/health', async () => ({ status: 'ok', ...stats() }));

  // The server's clock, for a client estimating its offset to it (docs/protocol.md, "GET /clock").
  // Timing-Allow-Origin: a page of another origin may read the request's own timing (requestStart, responseStart).
  app.get('/clock', async (_request, reply) => reply.header('timing-allow-origin', '*').send({ now: nowUs() }));

  app.post<{ Body: PublishRequest }>(
    '/publish',
    {
      schema: { body: publishBodySchema(ctx.limits) },
      // Ajv coerces types (the query strings need it) and would turn {"room":5} into "5": refuse non-strings first.
      preValidation: async (request) => {
        const body = request.body as unknown as Record<string, unknown> | null;
        if (body === null || typeof body !== 'object' || Array.isArray(body)) return;
        for (const field of ['room', 'payload'] as const) {
          if (field in body && typeof body[field] !== 'string') {
            throw Object.assign(new Error(`body.${field} must be string`), { statusCode: 400, code: ERROR_CODES.BAD_BODY });
          }
        }
      },
    },
    async (request, reply): Promise<PublishAck | ReturnType<typeof errorBody>> => {
      try {
        const entry = await feed.publish(request.body.room, request.body.payload);
        published++;
        return { seq: entry.seq, room: entry.message.room };
      } catch (error) {
        if (isToolError(error, TOOL_ERRORS.FEED_TOO_MANY_ROOMS)) return reply.code(429).send(errorBody(429, ERROR_CODES.TOO_MANY_ROOMS, error.message));
        // Only a shared feed fails otherwise: its Redis could not take the message.
        if (feed.kind === 'redis') return reply.code(503).send(errorBody(503, ERROR_CODES.FEED_UNAVAILABLE, `the feed could not take the message: ${(error as Error).message}`));
        throw error;
      }
    },
  );

  app.addHook('preClose', async () => {
    await handle.close?.();
  });

  return {
    transport,
    feed,
    app,
    async listen({ port = 0, host = '127.0.0.1' } = {}) {
      await app.listen({ port, host });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
      return address.port;
    },
    close: () => app.close(),
    stats,
    dropConnections: () => handle.dropConnections(),
  };
}

/** The server that resolved start options describe (protocol/server-options.ts), over `feed` (servers/open-feed.ts). */
export function buildFromStartOptions(options: ResolvedServerStart, feed: MessageFeed): BenchServer {
  return buildServer({
    transport: options.transport,
    feed,
    limits: { longPollTimeoutMs: options.longPollTimeoutMs },
    socketIo: { transports: options.socketIoTransports, recovery: options.socketIoRecovery },
    wsPerMessageDeflate: options.wsPerMessageDeflate,
  });
}

/** GET /meter?client=<cid>: what that client sent and received, bytes, as this server's sockets counted them. */
function installMeterRoute(app: FastifyInstance, meter: ConnectionMeter): void {
  app.get<{ Querystring: { client?: string } }>('/meter', async (request, reply) => {
    const client = request.query.client;
    if (typeof client !== 'string' || !isClientId(client)) {
      return reply.code(400).send(errorBody(400, ERROR_CODES.BAD_REQUEST, 'query client must be 1-64 of A-Z a-z 0-9 _ - (the cid its requests carry)'));
    }
    return { client, ...meter.bytes(client) };
  });
}
