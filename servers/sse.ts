import type { ServerResponse } from 'node:http';
import { ERROR_CODES, errorBody } from '../protocol/error-codes.ts';
import type { FeedEntry } from './feed.ts';
import type { TransportPlugin } from './transport-plugin.ts';
import { deferredFailure } from './message-feed.ts';
import { decimalCursorOnly, parseCursor, pollQuerySchema, type PollQuery } from './poll-query.ts';
import { lastEntryCache } from './entry-cache.ts';
import { corkWhileBatching } from './write-batch.ts';

/**
 * Server-Sent Events: `GET /sse?room=R&cursor=N` streams the room's messages after the cursor, then live
 * ones, each as `id: <seq>` + `data: <json>`. A `Last-Event-ID` header (a reconnecting EventSource)
 * wins over the query's cursor.
 */

export interface SseOptions {
  /** Interval of the `: ping` comment that keeps idle streams (and proxies) alive, ms. */
  heartbeatMs?: number;
}

export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;

interface Stream {
  readonly res: ServerResponse;
  unsubscribe: () => void;
}

const frame = (entry: FeedEntry): string => `id: ${entry.seq}\ndata: ${entry.json}\n\n`;

export function createServerSentEvents(options: SseOptions = {}): TransportPlugin {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_SSE_HEARTBEAT_MS;

  return (app, { feed, limits }) => {
    const streams = new Set<Stream>();
    let slowClientsDropped = 0;
    // One timer for every stream, running only while there are streams.
    let heartbeat: NodeJS.Timeout | undefined;

    const release = (stream: Stream): boolean => {
      if (!streams.delete(stream)) return false;
      stream.unsubscribe();
      if (streams.size === 0) {
        clearInterval(heartbeat);
        heartbeat = undefined;
      }
      return true;
    };

    // A live event, encoded once for every stream of its room.
    const liveFrame = lastEntryCache((entry) => Buffer.from(frame(entry)));

    /** Writes to one stream; a client that lets more than maxBufferedBytes pile up is cut off. */
    const send = (stream: Stream, text: string | Buffer): void => {
      corkWhileBatching(stream.res);
      stream.res.write(text);
      if (stream.res.writableLength > limits.maxBufferedBytes && release(stream)) {
        slowClientsDropped++;
        stream.res.destroy();
      }
    };

    app.get<{ Querystring: PollQuery }>('/sse', { schema: { querystring: pollQuerySchema }, preValidation: decimalCursorOnly }, (request, reply) => {
      const { room } = request.query;
      let cursor = request.query.cursor;
      const lastEventId = request.headers['last-event-id'];
      // An empty Last-Event-ID means the client has seen no event yet (as EventSource would send none).
      if (typeof lastEventId === 'string' && lastEventId !== '') {
        const parsed = parseCursor(lastEventId);
        if (parsed === undefined) {
          const message = `header Last-Event-ID must be a non-negative integer (a seq), got '${lastEventId.slice(0, 32)}'`;
          void reply.code(400).send(errorBody(400, ERROR_CODES.BAD_CURSOR, message));
          return;
        }
        cursor = parsed;
      }
      // A shared feed's replica may not have reached a cursor another node gave out yet (never on the memory feed).
      const behind = feed.catchUp(room, cursor);
      reply.hijack();
      if (behind) void behind.then(() => (reply.raw.destroyed ? undefined : open(room, cursor, reply.raw))).catch(deferredFailure);
      else open(room, cursor, reply.raw);
    });

    const open = (room: string, cursor: number, res: ServerResponse): void => {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
      const stream: Stream = { res, unsubscribe: () => {} };
      streams.add(stream);
      res.once('close', () => release(stream));
      heartbeat ??= setInterval(() => {
        for (const s of [...streams]) send(s, ': ping\n\n');
      }, heartbeatMs).unref();

      // Backlog and subscription in one tick: a message is either in the backlog or delivered live, never both.
      const { entries, gap, head, reset } = feed.after(room, cursor);
      let text = `retry: 1000\n: ready ${head}\n\n`;
      // A cursor beyond the head (the server restarted): the stream starts over from the log's start.
      if (reset) text += ': reset\n\n';
      if (gap) text += ': gap\n\n';
      for (const entry of entries) text += frame(entry);
      const from = reset ? 0 : cursor;
      stream.unsubscribe = feed.subscribe(room, (entry) => {
        if (entry.seq > from) send(stream, liveFrame(entry));
      });
      send(stream, text);
      if (res.destroyed) release(stream); // hung up before the handler ran
    };

    return {
      stats: () => ({ connections: streams.size, waiters: 0, subscriptions: streams.size, slowClientsDropped }),
      dropConnections() {
        for (const stream of [...streams]) {
          release(stream);
          stream.res.destroy();
        }
      },
      close() {
        for (const stream of [...streams]) {
          release(stream);
          stream.res.end();
        }
      },
    };
  };
}

/** SSE with the default 15 s heartbeat. */
export const serverSentEvents: TransportPlugin = createServerSentEvents();
