import type { TransportPlugin } from './transport-plugin.ts';
import { deferredFailure } from './message-feed.ts';
import { decimalCursorOnly, pollAnswer, pollQuerySchema, trackSockets, type PollQuery } from './poll-query.ts';

/**
 * HTTP short polling: `GET /poll?cursor=N&room=R` answers at once with the room's messages after N
 * (at most limits.maxPollBatch) and the cursor to send next time. The client decides how often to ask.
 */
export const shortPolling: TransportPlugin = (app, { feed, limits }) => {
  const sockets = trackSockets(app);

  app.get<{ Querystring: PollQuery }>('/poll', { schema: { querystring: pollQuerySchema }, preValidation: decimalCursorOnly }, (request, reply) => {
    const { room, cursor } = request.query;
    const answer = (): void => {
      const { entries, gap, reset } = feed.after(room, cursor, limits.maxPollBatch);
      void reply.type('application/json').send(pollAnswer(entries, cursor, gap, reset));
    };
    // A shared feed's replica may not have reached a cursor another node gave out yet (never on the memory feed).
    const behind = feed.catchUp(room, cursor);
    if (behind) void behind.then(answer).catch(deferredFailure);
    else answer();
  });

  return {
    // A short-polling client holds no server state between polls: its kept-alive socket is all it has.
    stats: () => ({ connections: sockets.size, waiters: 0, subscriptions: 0, slowClientsDropped: 0 }),
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
  };
};
