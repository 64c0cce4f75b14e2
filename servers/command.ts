import { ERROR_CODES } from '../protocol/error-codes.ts';
import type { MessageFeed } from './message-feed.ts';
import { whenPublished } from './message-feed.ts';
import { isToolError, TOOL_ERRORS } from '../protocol/tool-errors.ts';
import { isValidRoom } from '../protocol/message.ts';
import type { ClientCommand, CommandError } from '../protocol/control-frames.ts';

/**
 * The commands a client sends over ws, Socket.IO and raw TCP, validated once here so the three transports
 * answer garbage the same way (docs/protocol.md, "Transports").
 */

const ROOM_HINT = '1-64 of A-Z a-z 0-9 _ -';

function fail(code: string, message: string, id?: number): CommandError {
  return id === undefined ? { type: 'error', code, message } : { type: 'error', id, code, message };
}

/** A cursor from a number or a decimal string (query strings); undefined when it is not a non-negative safe integer. */
export function parseCursor(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Checks a room and a cursor given at connection time (ws query, Socket.IO handshake, TCP subscribe). */
export function checkSubscription(room: unknown, cursor: unknown): { room: string; cursor: number } | CommandError {
  if (room === undefined || room === null || room === '') return fail(ERROR_CODES.BAD_ROOM, `room is required (${ROOM_HINT})`);
  if (!isValidRoom(room)) return fail(ERROR_CODES.BAD_ROOM, `room must be ${ROOM_HINT}, got ${JSON.stringify(room).slice(0, 80)}`);
  const parsed = cursor === undefined || cursor === null || cursor === '' ? 0 : parseCursor(cursor);
  if (parsed === undefined) return fail(ERROR_CODES.BAD_CURSOR, `cursor must be a non-negative integer, got ${JSON.stringify(cursor).slice(0, 80)}`);
  return { room, cursor: parsed };
}

/** Checks the `{room, payload}` part of a publish; shared with Socket.IO's `publish` event body. */
export function checkPublishBody(body: unknown, maxPayload: number, id?: number): { room: string; payload: string } | CommandError {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return fail(ERROR_CODES.BAD_BODY, 'publish body must be an object {room, payload}', id);
  const { room, payload } = body as Record<string, unknown>;
  if (!isValidRoom(room)) return fail(ERROR_CODES.BAD_ROOM, `room must be ${ROOM_HINT}`, id);
  if (typeof payload !== 'string') return fail(ERROR_CODES.BAD_BODY, 'payload must be a string', id);
  if (payload.length > maxPayload) return fail(ERROR_CODES.PAYLOAD_TOO_LARGE, `payload is ${payload.length} characters, at most ${maxPayload} accepted`, id);
  return { room, payload };
}

/** Parses one JSON command (a ws text frame or a TCP line). Never throws. */
export function parseCommand(text: string, maxPayload: number): ClientCommand | CommandError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail(ERROR_CODES.BAD_BODY, 'command is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(ERROR_CODES.BAD_REQUEST, 'command must be a JSON object with a "type"');
  const command = value as Record<string, unknown>;
  if (command.type === 'subscribe') {
    const checked = checkSubscription(command.room, command.cursor ?? 0);
    return 'type' in checked ? checked : { type: 'subscribe', ...checked };
  }
  if (command.type === 'publish') {
    const id = command.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return fail(ERROR_CODES.BAD_REQUEST, 'publish needs an "id": a non-negative integer');
    const checked = checkPublishBody(command, maxPayload, id);
    return 'type' in checked ? checked : { type: 'publish', id, ...checked };
  }
  if (command.type === 'clock') {
    const id = command.id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) return fail(ERROR_CODES.BAD_REQUEST, 'clock needs an "id": a non-negative integer');
    return { type: 'clock', id };
  }
  return fail(ERROR_CODES.BAD_REQUEST, `unknown command type ${JSON.stringify(command.type)?.slice(0, 40) ?? 'undefined'}; expected "subscribe", "publish" or "clock"`);
}

/**
 * Publishes to the feed and answers with the seq, or an error when the feed refuses (too many rooms) or cannot
 * take it (its Redis is unreachable). The in-memory feed answers at once, before this returns; a shared feed
 * once Redis has numbered the message.
 */
export function publishToFeed(feed: MessageFeed, room: string, payload: string, id: number | undefined, answer: (result: { seq: number } | CommandError) => void): void {
  let published: ReturnType<MessageFeed['publish']>;
  try {
    published = feed.publish(room, payload);
  } catch (error) {
    return answer(publishFailure(error, id));
  }
  whenPublished(published, (entry) => answer({ seq: entry.seq }), (error) => answer(publishFailure(error, id)));
}

function publishFailure(error: unknown, id: number | undefined): CommandError {
  if (isToolError(error, TOOL_ERRORS.FEED_TOO_MANY_ROOMS)) return fail(ERROR_CODES.TOO_MANY_ROOMS, error.message, id);
  return fail(ERROR_CODES.FEED_UNAVAILABLE, `the feed could not take the message: ${(error as Error)?.message ?? String(error)}`, id);
}
