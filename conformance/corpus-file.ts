import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Limits } from '../protocol/limits.ts';
import { TRANSPORTS, type TransportName } from '../protocol/transports.ts';

/**
 * The hostile-input corpus as data: conformance/corpus/*.json, one file per route family, each case a
 * request described by value (method, path, headers, body as UTF-8 or base64, frames, lines) and the answer it
 * must get. Sizes may name a limit ("bodyLimit+1"), so one corpus fits servers started with any limits.
 */

export const CORPUS_DIR = fileURLToPath(new URL('./corpus/', import.meta.url));

/** A count or size: a number, or a limit name, optionally divided (floor), then offset: "tcpMaxLine", "bodyLimit/16+1". */
const SIZE_PATTERN = /^([A-Za-z]+)(?:\/(\d+))?([+-]\d+)?$/;
const Size = z.union([z.number().int().nonnegative(), z.string().regex(SIZE_PATTERN)]);
export type SizeSpec = z.infer<typeof Size>;

/** Bytes: a UTF-8 string, or {utf8 | base64 | hex} repeated `repeat` times; a list of those is concatenated. */
const TextPart = z.union([
  z.string(),
  z
    .object({ utf8: z.string().optional(), base64: z.string().optional(), hex: z.string().optional(), repeat: Size.optional() })
    .strict()
    .refine((t) => [t.utf8, t.base64, t.hex].filter((v) => v !== undefined).length === 1, 'give exactly one of utf8, base64, hex'),
]);
const Text = z.union([TextPart, z.array(TextPart)]);
export type TextSpec = z.infer<typeof Text>;

const HttpRequest = z
  .object({
    method: z.string().default('GET'),
    path: Text.default('/'),
    version: z.string().default('HTTP/1.1'),
    /** Headers in order; a Host header is added unless `noHost`. */
    headers: z.array(z.tuple([z.string(), Text])).default([]),
    noHost: z.boolean().default(false),
    /** `count` more headers named `name` with `{i}` replaced by 0, 1, 2 … */
    flood: z.object({ count: Size, name: z.string(), value: Text }).strict().optional(),
    body: Text.optional(),
    /** A content-length is added for a body unless this says otherwise ("none": leave it out). */
    contentLength: z.union([z.literal('none'), Size]).optional(),
    /** The whole request as bytes: replaces everything above. */
    raw: Text.optional(),
    /** Send the request in pieces of this many bytes, one every `everyMs` (a slowloris). */
    drip: z.object({ bytes: z.number().int().positive(), everyMs: z.number().int().positive(), stopAfter: Size.optional() }).strict().optional(),
  })
  .strict();

const Frame = z
  .object({
    opcode: z.number().int().min(0).max(15),
    payload: Text.default(''),
    fin: z.boolean().optional(),
    rsv: z.number().int().min(0).max(7).optional(),
    mask: z.boolean().optional(),
    claimedLength: Size.optional(),
  })
  .strict();

const WsRequest = z
  .object({
    /** `{sid}` in the path: an engine.io polling session is opened first and this upgrades it. */
    path: Text,
    /** Replaces the standard upgrade headers (Host, Connection, Upgrade, version, key). */
    head: Text.optional(),
    /** Socket.IO: a CONNECT packet sent first; the case goes on once the server answered it. */
    connect: z.string().optional(),
    frames: z.array(Frame).default([]),
  })
  .strict();

const EnginePolling = z
  .object({
    /** POST bodies sent in order to a fresh engine.io polling session (`{sid}` is its id). */
    posts: z.array(Text),
  })
  .strict();

const Expect = z
  .object({
    /** HTTP status, or an inclusive range. */
    status: z.union([z.number().int(), z.tuple([z.number().int(), z.number().int()])]).optional(),
    /** TB_ERR_* in the JSON body, or the codes of the error frames / lines expected, in order. */
    code: z.union([z.string(), z.array(z.string())]).optional(),
    /** WebSocket close codes accepted (the first close frame the server sends). */
    close: z.array(z.number().int()).optional(),
    /** The server ends the connection (any way). */
    closed: z.boolean().optional(),
    /** The connection is still open at the end. */
    open: z.boolean().optional(),
    /** A pattern (RegExp source) a reply must match: the body, a text frame, a line. */
    reply: z.string().optional(),
    /** engine.io polling: the session no longer exists afterwards. */
    sessionClosed: z.boolean().optional(),
  })
  .strict();
export type CaseExpectation = z.infer<typeof Expect>;

const Case = z
  .object({
    name: z.string(),
    /** Restricts a case to some of the file's transports. */
    transports: z.array(z.enum(TRANSPORTS)).optional(),
    /** Socket.IO: the case needs this server mode (polling cases need 'polling-upgrade'). */
    socketIoMode: z.enum(['polling-upgrade', 'websocket']).optional(),
    /** The longest the case may take, ms (may name a limit: "requestTimeoutMs+2000"). */
    timeoutMs: Size.default(3_000),
    http: HttpRequest.optional(),
    ws: WsRequest.optional(),
    tcp: z.object({ send: z.array(Text) }).strict().optional(),
    enginePolling: EnginePolling.optional(),
    expect: Expect,
  })
  .strict()
  .refine((c) => [c.http, c.ws, c.tcp, c.enginePolling].filter(Boolean).length === 1, 'give exactly one of http, ws, tcp, enginePolling');
export type HostileCase = z.infer<typeof Case>;

const CorpusFile = z
  .object({
    family: z.string(),
    description: z.string(),
    transports: z.array(z.enum(TRANSPORTS)).min(1),
    cases: z.array(Case).min(1),
  })
  .strict();
export type CorpusFamily = z.infer<typeof CorpusFile> & { file: string };

/** Reads and checks every corpus file; a bad file throws with its name and the first problem. */
export function loadCorpus(dir = CORPUS_DIR): CorpusFamily[] {
  const files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort();
  return files.map((file) => {
    const parsed = CorpusFile.safeParse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${file}: ${issue?.path.join('.')}: ${issue?.message}`);
    }
    return { ...parsed.data, file };
  });
}

/** The cases that apply to `transport`, each named `family/case`. */
export function casesFor(corpus: readonly CorpusFamily[], transport: TransportName): (HostileCase & { id: string })[] {
  return corpus
    .filter((family) => family.transports.includes(transport))
    .flatMap((family) =>
      family.cases.filter((c) => !c.transports || c.transports.includes(transport)).map((c) => ({ ...c, id: `${family.family}/${c.name}` })),
    );
}

/** Evaluates a size against the server's limits. */
export function sizeOf(spec: SizeSpec, limits: Readonly<Limits>): number {
  if (typeof spec === 'number') return spec;
  const match = SIZE_PATTERN.exec(spec)!;
  const base = (limits as unknown as Record<string, unknown>)[match[1]];
  if (typeof base !== 'number') throw new Error(`unknown limit '${match[1]}' in size '${spec}'`);
  return Math.floor(base / Number(match[2] ?? 1)) + Number(match[3] ?? 0);
}

/** The bytes a Text stands for. */
export function bytesOf(text: TextSpec, limits: Readonly<Limits>): Buffer {
  if (Array.isArray(text)) return Buffer.concat(text.map((part) => bytesOf(part, limits)));
  if (typeof text === 'string') return Buffer.from(text, 'utf8');
  const one = text.utf8 !== undefined ? Buffer.from(text.utf8, 'utf8') : text.base64 !== undefined ? Buffer.from(text.base64, 'base64') : Buffer.from(text.hex!, 'hex');
  const times = text.repeat === undefined ? 1 : sizeOf(text.repeat, limits);
  return times === 1 ? one : Buffer.alloc(one.length * times, one);
}
