import { z } from 'zod';
import { DEFAULT_LIMITS } from './limits.ts';
import { parseFeedSpec } from './feed-spec.ts';
import { TRANSPORTS, type TransportName } from './transports.ts';

/**
 * How one transport's server process is started: the options the harness chooses per step, declared once
 * with their defaults (zod), validated once when the process starts. The harness sends them as one JSON
 * value (servers/process-entry.ts reads it from its only argument).
 */

export const serverStartSchema = z.strictObject({
  transport: z.enum(TRANSPORTS),
  /** Size of the feed's generated payloads, bytes. */
  payloadBytes: z.number().int().nonnegative().default(64),
  /** Binary payloads: binary frames where the transport carries them (ws, Socket.IO), base64 elsewhere. */
  binary: z.boolean().default(false),
  /** Socket.IO: 'polling-upgrade' (its default handshake, then upgrade) or 'websocket' only. */
  socketIoTransports: z.enum(['polling-upgrade', 'websocket']).default('polling-upgrade'),
  /** Socket.IO: connection state recovery (replays missed packets after an unexpected disconnect). */
  socketIoRecovery: z.boolean().default(true),
  /** ws: negotiate permessage-deflate (ws's own defaults: messages of 1 KiB and more compressed, a zlib context per connection). */
  wsPerMessageDeflate: z.boolean().default(false),
  /** Long polling: how long a poll is held before it answers empty, ms. */
  longPollTimeoutMs: z.number().int().positive().default(DEFAULT_LIMITS.longPollTimeoutMs),
  /**
   * Test only: every message of the feed is published this much later, ms (log and live subscribers alike). It makes one
   * transport slower on purpose, to show that compare's latency gate catches it (`run --inject-delay ws=2`).
   */
  injectDelayMs: z.number().nonnegative().max(10_000).default(0),
  /**
   * Where the feed lives: 'memory' (the process's own) or a Redis URL (protocol/feed-spec.ts), shared with
   * every process started with the same URL and feedNamespace.
   */
  feed: z
    .string()
    .default('memory')
    .superRefine((value, ctx) => {
      try {
        const spec = parseFeedSpec(value);
        if (spec.kind === 'redis' && spec.url === undefined) ctx.addIssue({ code: 'custom', message: "a server needs the Redis URL itself, not 'redis'" });
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  /** With a Redis feed: the keys' namespace. The nodes of one transport in one run share it; nothing else does. */
  feedNamespace: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, '1-128 of A-Z a-z 0-9 _ . : -').default('default'),
  /** Which of a transport's server nodes this is (0 …): nodes share a feed in Redis, never a process. */
  node: z.number().int().nonnegative().max(63).default(0),
});

/** What a caller gives: the transport, and any option that differs from its default. */
export type ServerStartOptions = z.input<typeof serverStartSchema>;
export type ResolvedServerStart = z.output<typeof serverStartSchema>;

/** The process's own settings beside the start options. */
export const serverProcessSchema = serverStartSchema.extend({
  host: z.string().min(1).default('127.0.0.1'),
  /** 0 picks a free port. */
  port: z.number().int().min(0).max(65_535).default(0),
  /** Load everything, then wait for a 'listen' request before listening (a replacement kept ready for a crash). */
  standby: z.boolean().default(false),
});
export type ServerProcessOptions = z.input<typeof serverProcessSchema>;

/** Options that only one transport reads, by transport. */
const OWN_OPTIONS: Partial<Record<TransportName, ReadonlyArray<keyof ResolvedServerStart>>> = {
  'long-polling': ['longPollTimeoutMs'],
  'socket-io': ['socketIoTransports', 'socketIoRecovery'],
  ws: ['wsPerMessageDeflate'],
};
const TRANSPORT_SPECIFIC = new Set(Object.values(OWN_OPTIONS).flat());

/**
 * The options with defaults filled in and those the transport ignores left out: two option sets that start
 * the same server resolve to the same value (so `{ transport: 'ws' }` and `{ transport: 'ws', payloadBytes: 64 }`
 * share a process).
 */
export function effectiveServerOptions(options: ServerStartOptions): Partial<ResolvedServerStart> & { transport: TransportName } {
  const resolved = serverStartSchema.parse(options);
  const own = new Set(OWN_OPTIONS[resolved.transport] ?? []);
  const kept = Object.entries(resolved).filter(([key]) => !TRANSPORT_SPECIFIC.has(key as keyof ResolvedServerStart) || own.has(key as keyof ResolvedServerStart));
  return Object.fromEntries(kept) as Partial<ResolvedServerStart> & { transport: TransportName };
}

/** A stable key of the server `options` start: equal for option sets that start the same server. */
export function serverKey(options: ServerStartOptions): string {
  return JSON.stringify(effectiveServerOptions(options));
}
