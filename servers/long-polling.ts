import type { FastifyReply } from 'fastify';
import { lastEntryCache } from './entry-cache.ts';
import { ERROR_CODES, errorBody } from '../protocol/error-codes.ts';
import type { TransportPlugin } from './transport-plugin.ts';
import { deferredFailure } from './message-feed.ts';
import { decimalCursorOnly, pollAnswer, pollQuerySchema, trackSockets, type PollQuery } from './poll-query.ts';

/**
 * HTTP long polling: `GET /poll?cursor=N&room=R` answers at once when the room has messages after N;
 * otherwise the request is held until one is published or limits.longPollTimeoutMs passes (then it
 * answers with no messages and the same cursor).
 */

interface Waiter {
  readonly reply: FastifyReply;
  readonly cursor: number;
  unsubscribe: () => void;
  timer: NodeJS.Timeout | undefined;
}

/** Seconds a client turned away for too many waiters is asked to wait. */
const RETRY_AFTER_S = 1;

export const longPolling: TransportPlugin = (app, { feed, limits }) => {
  const sockets = trackSockets(app);
  const waiters = new Set<Waiter>();

  /** Forgets a waiter (subscription, timer, listener); false when it was already gone. */
  const release = (waiter: Waiter): boolean => {
    if (!waiters.delete(waiter)) return false;
    waiter.unsubscribe();
    clearTimeout(waiter.timer);
    return true;
  };

  // The answer to every waiter of a room when one entry is published: the same body for all of them (with a
  // message in it, the answer's cursor is that message's seq, whatever the poll's cursor was).
  const liveAnswer = lastEntryCache((entry) => pollAnswer([entry], entry.seq));

  const answer = (waiter: Waiter, body: string): void => {
    if (release(waiter)) void waiter.reply.type('application/json').send(body);
  };

  app.get<{ Querystring: PollQuery }>('/poll', { schema: { querystring: pollQuerySchema }, preValidation: decimalCursorOnly }, (request, reply) => {
    const { room, cursor } = request.query;
    // A shared feed's replica may not have reached a cursor another node gave out yet (never on the memory feed).
    const behind = feed.catchUp(room, cursor);
    if (behind) void behind.then(() => (reply.raw.destroyed ? undefined : poll(room, cursor, reply))).catch(deferredFailure);
    else poll(room, cursor, reply);
  });

  const poll = (room: string, cursor: number, reply: FastifyReply): void => {
    const { entries, gap, reset } = feed.after(room, cursor, limits.maxPollBatch);
    // A reset is answered at once, even with no message: the client must learn its new cursor before it waits.
    if (entries.length > 0 || reset) {
      void reply.type('application/json').send(pollAnswer(entries, cursor, gap, reset));
      return;
    }
    if (waiters.size >= limits.maxLongPollWaiters) {
      const message = `too many long polls held (at most ${limits.maxLongPollWaiters}); retry after ${RETRY_AFTER_S} s`;
      void reply.code(429).header('retry-after', String(RETRY_AFTER_S)).send(errorBody(429, ERROR_CODES.TOO_MANY_WAITERS, message));
      return;
    }
    const waiter: Waiter = { reply, cursor, unsubscribe: () => {}, timer: undefined };
    waiters.add(waiter);
    // Published entries arrive in seq order; one beyond the cursor is the answer (the cursor is at most the head here).
    waiter.unsubscribe = feed.subscribe(room, (entry) => {
      if (entry.seq > cursor) answer(waiter, liveAnswer(entry));
    });
    waiter.timer = setTimeout(() => answer(waiter, pollAnswer([], cursor)), limits.longPollTimeoutMs);
    // 'close' on the response fires when it is sent or when the client hangs up; either way the waiter goes.
    reply.raw.once('close', () => release(waiter));
    if (reply.raw.destroyed) release(waiter); // hung up before the handler ran: 'close' has been and gone
  };

  return {
    stats: () => ({ connections: sockets.size, waiters: waiters.size, subscriptions: waiters.size, slowClientsDropped: 0 }),
    dropConnections() {
      for (const waiter of [...waiters]) {
        release(waiter);
        waiter.reply.raw.destroy();
      }
      for (const socket of sockets) socket.destroy();
    },
    close() {
      // An empty answer lets each held client finish cleanly; app.close() then closes the sockets.
      for (const waiter of [...waiters]) answer(waiter, pollAnswer([], waiter.cursor));
    },
  };
};
