import { expect } from 'vitest';
import { range, seqsOf, type RecordedClient, type TransportHarness } from './transport-harness.ts';
import { until } from './wait-for.ts';

const ROOMS = ['red', 'red', 'blue'];

/**
 * Three clients (red, red, blue) of the harness's server on `port`, 21 messages a room: even rounds
 * published through the feed, odd ones by two of the clients (`publishers`: a red one, then the blue one)
 * through their own transport, each ack checked for its seq; then a last message a room, before which
 * anything doubled would have arrived. Expects every client to get its room's 21 exactly once, in order,
 * and no error; returns the clients for the caller's own checks. `primeFirst` publishes round 0 before the
 * clients connect (a long poll is ready only at its first answer).
 */
export async function expectTwoRoomDelivery(h: TransportHarness, port: number, options: { publishers: [number, number]; primeFirst?: boolean }): Promise<RecordedClient[]> {
  const members = ROOMS.map((room) => h.client({ port, room }));
  const [red, blue] = options.publishers.map((i) => members[i].c);
  const feed = h.server.feed;
  const feedRound = () => {
    feed.publish('red');
    feed.publish('blue');
  };
  if (options.primeFirst) feedRound();
  await Promise.all(members.map((m) => m.c.connect()));
  for (let i = options.primeFirst ? 1 : 0; i < 20; i++) {
    if (i % 2 === 0) {
      feedRound();
    } else {
      expect(await red.publish('red', `red ${i}`)).toBe(i + 1);
      expect(await blue.publish('blue', `blue ${i}`)).toBe(i + 1);
    }
  }
  feedRound();
  await until(() => expect(members.map((m) => m.log.length)).toEqual([21, 21, 21]));
  members.forEach(({ log }, i) => {
    expect(seqsOf(log)).toEqual(range(1, 21));
    expect(new Set(log.map((m) => m.room))).toEqual(new Set([ROOMS[i]]));
  });
  expect(members.flatMap((m) => m.errors)).toEqual([]);
  return members;
}
