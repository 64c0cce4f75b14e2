import { randomBytes } from 'node:crypto';
import type { ServerControl } from './scenario.ts';

/**
 * Fresh room names for one repeat. New rooms start at seq 1 with an empty log, so a client connecting
 * with cursor 0 replays nothing from an earlier repeat.
 */
export function repeatRooms(prefix: string, count: number): string[] {
  const token = randomBytes(4).toString('hex');
  return Array.from({ length: count }, (_, i) => `${prefix}-${token}-${i}`);
}

/**
 * Publishes one message to each room before any client connects. A long-polling client is ready when its
 * first poll is answered, which on an empty room takes the whole long-poll timeout; with a message waiting
 * it answers at once. Every transport gets the same primer, so set-up figures stay comparable; its intended
 * time is before any measured window, so no figure counts it.
 */
export async function primeRooms(server: ServerControl, rooms: readonly string[], payloadBytes?: number): Promise<void> {
  // ceil(rate × 1 ms) = one message per room, round-robin.
  await server.schedule({ rate: rooms.length * 1000, rooms: [...rooms], durationMs: 1, ...(payloadBytes !== undefined ? { payloadBytes } : {}) });
}
