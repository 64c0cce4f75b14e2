/**
 * The transports, in one table: every list of transports, every label and every "does this one poll?" in
 * the project reads it. The table's order is the display order: the polling family, then the push
 * transports, then the raw TCP floor.
 */

interface TransportFacts {
  /** Label for tables, legends and headings. */
  readonly label: string;
  /** The name inside a sentence. */
  readonly prose: string;
  /** The client pulls (GET /poll): the server holds no queue for it and never pushes. */
  readonly polls: boolean;
  /** The client polls again after a fixed interval (short polling), so steps are swept over intervals. */
  readonly pollsOnInterval: boolean;
  /** Served by a Fastify HTTP server: every transport but the raw TCP floor. */
  readonly http: boolean;
  /**
   * How a binary payload travels: in our binary frame layout (protocol/binary-frame.ts), as a Socket.IO
   * attachment beside the JSON fields, or as base64 inside the JSON text.
   */
  readonly binary: BinaryCarriage;
}

export type BinaryCarriage = 'frame' | 'attachment' | 'base64';

export const TRANSPORT_TABLE = {
  'short-polling': { label: 'Short polling', prose: 'short polling', polls: true, pollsOnInterval: true, http: true, binary: 'base64' },
  'long-polling': { label: 'Long polling', prose: 'long polling', polls: true, pollsOnInterval: false, http: true, binary: 'base64' },
  ws: { label: 'WebSocket (ws)', prose: 'ws', polls: false, pollsOnInterval: false, http: true, binary: 'frame' },
  'socket-io': { label: 'Socket.IO', prose: 'Socket.IO', polls: false, pollsOnInterval: false, http: true, binary: 'attachment' },
  sse: { label: 'SSE', prose: 'SSE', polls: false, pollsOnInterval: false, http: true, binary: 'base64' },
  tcp: { label: 'Raw TCP (floor)', prose: 'raw TCP', polls: false, pollsOnInterval: false, http: false, binary: 'base64' },
} as const satisfies Record<string, TransportFacts>;

export type TransportName = keyof typeof TRANSPORT_TABLE;
/** Transports served over HTTP (all but raw TCP). */
export type HttpTransportName = { [T in TransportName]: (typeof TRANSPORT_TABLE)[T]['http'] extends true ? T : never }[TransportName];

/** Every transport, in display order (a non-empty tuple, as zod's enum wants it). */
export const TRANSPORTS = Object.keys(TRANSPORT_TABLE) as [TransportName, ...TransportName[]];

export const HTTP_TRANSPORTS = TRANSPORTS.filter((t): t is HttpTransportName => TRANSPORT_TABLE[t].http);

export function isTransportName(value: unknown): value is TransportName {
  return typeof value === 'string' && Object.hasOwn(TRANSPORT_TABLE, value);
}

export function transportFacts(transport: TransportName): TransportFacts {
  return TRANSPORT_TABLE[transport];
}

/** The client pulls (short and long polling). */
export const polls = (transport: TransportName): boolean => TRANSPORT_TABLE[transport].polls;

/** The client polls on an interval (short polling). */
export const pollsOnInterval = (transport: TransportName): boolean => TRANSPORT_TABLE[transport].pollsOnInterval;

/** Sorts items by their transport's place in the table. */
export function byTransportOrder<T extends { transport: TransportName }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => TRANSPORTS.indexOf(a.transport) - TRANSPORTS.indexOf(b.transport));
}

/** The transport's label for tables and legends: "WebSocket (ws)". */
export const transportLabel = (transport: TransportName): string => TRANSPORT_TABLE[transport].label;

/** The transport's name inside a sentence: "raw TCP". */
export const transportProse = (transport: TransportName): string => TRANSPORT_TABLE[transport].prose;
