import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { ERROR_CODES } from '../protocol/error-codes.ts';
import type { FeedEntry } from './feed.ts';
import { ROOM_PATTERN } from '../protocol/message.ts';

/**
 * What short polling, long polling and SSE share: the `room` / `cursor` query, the poll answer built from
 * each entry's precomputed JSON, and a count of the open sockets of a server.
 */

export interface PollQuery {
  room: string;
  cursor: number;
}

/** `room` required, `cursor` optional (default 0); unknown parameters are ignored. Ajv coerces the cursor text. */
export const pollQuerySchema = {
  type: 'object',
  required: ['room'],
  properties: {
    room: { type: 'string', pattern: ROOM_PATTERN },
    cursor: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
  },
} as const;

/**
 * Ajv's type coercion would turn '0x10', '1e3', ' 5', '1.0' or '1e400' (Infinity, which then breaks the JSON
 * answer) into numbers: before validation, only decimal digits pass as a cursor (a preValidation hook).
 */
export async function decimalCursorOnly(request: FastifyRequest): Promise<void> {
  const cursor = (request.query as Record<string, unknown>).cursor;
  if (cursor === undefined || (typeof cursor === 'string' && /^[0-9]{1,16}$/.test(cursor))) return;
  const shown = Array.isArray(cursor) ? 'several values' : `'${String(cursor).slice(0, 32)}'`;
  const message = `querystring.cursor must be a decimal integer (a non-negative integer), got ${shown}`;
  throw Object.assign(new Error(message), { statusCode: 400, code: ERROR_CODES.BAD_CURSOR });
}

/** A cursor sent outside the query (SSE's Last-Event-ID): decimal digits only, at most MAX_SAFE_INTEGER. */
export function parseCursor(text: string): number | undefined {
  if (!/^[0-9]{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return value <= Number.MAX_SAFE_INTEGER ? value : undefined;
}

/**
 * The poll answer `{"messages":[...],"cursor":N}` (plus `"gap":true` when the log no longer held the
 * messages right after the request's cursor, `"reset":true` when the cursor was beyond the room's head: the
 * answer then starts from the log's start and its cursor from 0). Concatenates the JSON encoded once at
 * publish: the hot path.
 */
export function pollAnswer(entries: readonly FeedEntry[], cursor: number, gap = false, reset = false): string {
  let body = '{"messages":[';
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) body += ',';
    body += entries[i].json;
  }
  const next = entries.length > 0 ? entries[entries.length - 1].seq : reset ? 0 : cursor;
  return `${body}],"cursor":${next}${gap ? ',"gap":true' : ''}${reset ? ',"reset":true' : ''}}`;
}

/** Tracks the server's open TCP sockets (keep-alive polling clients hold one each between polls). */
export function trackSockets(app: FastifyInstance): Set<Socket> {
  const sockets = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}
