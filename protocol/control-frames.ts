/**
 * The commands and control frames of the connection-oriented transports (ws, raw TCP, and Socket.IO's
 * publish): what a client sends, and the ready, ack and error frames a server answers with. docs/protocol.md,
 * "Transports", is the contract; servers/command.ts validates what arrives.
 */

/** Client → server: subscribe to a room from a cursor (raw TCP's first line; ws gives both in its URL). */
export interface SubscribeCommand {
  type: 'subscribe';
  room: string;
  cursor: number;
}

/** Client → server: publish, answered by an ack (or an error) carrying the same id. */
export interface PublishCommand {
  type: 'publish';
  id: number;
  room: string;
  payload: string;
}

/**
 * Client → server: what time is it on the server's clock? Answered by a clock frame carrying the same id: the
 * ping-pong a client estimates its clock offset with (NTP-style: the sample with the shortest round trip).
 */
export interface ClockCommand {
  type: 'clock';
  id: number;
}

export type ClientCommand = SubscribeCommand | PublishCommand | ClockCommand;

/** Server → client: a refused command or subscription; `id` echoes the command's id when it had a valid one. */
export interface CommandError {
  type: 'error';
  id?: number;
  code: string;
  message: string;
}

/** Server → client, as a client reads it: ready, ack or error (a feed message has no `type`). */
export interface ControlFrame {
  type?: string;
  id?: number;
  seq?: number;
  code?: string;
  message?: string;
  /** On ready: the cursor was beyond the room's head (the server restarted); the backlog starts over. */
  reset?: boolean;
}

/**
 * The ready frame (ws) / line (TCP): the room's head, `"gap":true` when the log no longer held the messages
 * right after the cursor, `"reset":true` when the cursor was beyond the head (the server restarted: the
 * backlog that follows starts from the log's start, and the client's cursor starts over).
 */
export function readyFrame(head: number, gap: boolean, reset: boolean | undefined): string {
  return `{"type":"ready","head":${head}${gap ? ',"gap":true' : ''}${reset ? ',"reset":true' : ''}}`;
}

/** The ack of publish `id`: the sequence number its message got. */
export function ackFrame(id: number, seq: number): string {
  return `{"type":"ack","id":${id},"seq":${seq}}`;
}

/** The answer to clock `id`: the server's clock now, µs (protocol/clock.ts). */
export function clockFrame(id: number, nowUs: number): string {
  return `{"type":"clock","id":${id},"now":${nowUs}}`;
}
