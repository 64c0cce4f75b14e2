import net from 'node:net';
import type { Limits } from '../protocol/limits.ts';
import { bytesOf, sizeOf, type CaseExpectation, type HostileCase } from './corpus-file.ts';
import { rawExchange, type RawAnswer } from './raw-http.ts';
import { isRefusal, openRawWebSocket, type RawWebSocket } from './raw-ws.ts';

/**
 * Runs one corpus case against a listening server and says what was wrong with the answer (undefined: the
 * input was handled as the case expects). Whatever the case expects, a 5xx is always wrong.
 */

export interface CaseTarget {
  host: string;
  port: number;
  limits: Readonly<Limits>;
}

const POLL_MS = 5;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, deadline: number): Promise<boolean> {
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}

/** Checks status, code and reply of an HTTP answer (also a refused upgrade). */
function checkHttp(expect: CaseExpectation, status: number | undefined, body: string, closed: boolean): string | undefined {
  if (status !== undefined && status >= 500) return `answered ${status}: ${body.slice(0, 160)}`;
  if (expect.status !== undefined) {
    const [lo, hi] = typeof expect.status === 'number' ? [expect.status, expect.status] : expect.status;
    if (status === undefined) return `no answer (connection ${closed ? 'closed' : 'left open'}); expected ${lo === hi ? lo : `${lo}-${hi}`}`;
    if (status < lo || status > hi) return `answered ${status}, expected ${lo === hi ? lo : `${lo}-${hi}`}: ${body.slice(0, 160)}`;
  } else if (expect.closed && !closed && status === undefined) {
    return 'the connection was neither answered nor closed';
  }
  if (typeof expect.code === 'string') {
    let code: unknown;
    try {
      code = (JSON.parse(body) as { code?: unknown }).code;
    } catch {
      code = undefined;
    }
    if (code !== expect.code) return `error code ${String(code)}, expected ${expect.code}: ${body.slice(0, 160)}`;
  }
  if (expect.reply !== undefined && !new RegExp(expect.reply).test(body)) return `reply ${JSON.stringify(body.slice(0, 160))} does not match /${expect.reply}/`;
  return undefined;
}

function httpChunks(c: HostileCase, target: CaseTarget): Buffer[] {
  const req = c.http!;
  const { limits } = target;
  let request: Buffer;
  if (req.raw !== undefined) {
    request = bytesOf(req.raw, limits);
  } else {
    const lines: Buffer[] = [Buffer.from(`${req.method} `, 'latin1'), bytesOf(req.path, limits), Buffer.from(` ${req.version}\r\n`, 'latin1')];
    if (!req.noHost) lines.push(Buffer.from(`host: ${target.host}:${target.port}\r\n`));
    for (const [name, value] of req.headers) lines.push(Buffer.from(`${name}: `, 'latin1'), bytesOf(value, limits), Buffer.from('\r\n'));
    if (req.flood) {
      const value = bytesOf(req.flood.value, limits).toString('latin1');
      const count = sizeOf(req.flood.count, limits);
      let text = '';
      for (let i = 0; i < count; i++) text += `${req.flood.name.replace('{i}', String(i))}: ${value}\r\n`;
      lines.push(Buffer.from(text, 'latin1'));
    }
    const body = req.body === undefined ? Buffer.alloc(0) : bytesOf(req.body, limits);
    if (req.contentLength !== 'none' && (req.body !== undefined || req.contentLength !== undefined)) {
      lines.push(Buffer.from(`content-length: ${req.contentLength === undefined ? body.length : sizeOf(req.contentLength, limits)}\r\n`));
    }
    lines.push(Buffer.from('\r\n'), body);
    request = Buffer.concat(lines);
  }
  if (!req.drip) return [request];
  const end = req.drip.stopAfter === undefined ? request.length : Math.min(request.length, sizeOf(req.drip.stopAfter, target.limits));
  const pieces: Buffer[] = [];
  for (let at = 0; at < end; at += req.drip.bytes) pieces.push(request.subarray(at, Math.min(end, at + req.drip.bytes)));
  return pieces;
}

async function runHttp(c: HostileCase, target: CaseTarget, timeoutMs: number): Promise<string | undefined> {
  const answer: RawAnswer = await rawExchange({ host: target.host, port: target.port, chunks: httpChunks(c, target), dripMs: c.http!.drip?.everyMs, timeoutMs });
  if (answer.timedOut && answer.status === undefined) return `no answer within ${timeoutMs} ms`;
  return checkHttp(c.expect, answer.status, answer.body.toString('utf8'), answer.closed);
}

/** An engine.io polling handshake; the session id. */
async function engineHandshake(target: CaseTarget, timeoutMs: number): Promise<string> {
  const answer = await rawExchange({
    host: target.host,
    port: target.port,
    chunks: [Buffer.from(`GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\n\r\n`)],
    timeoutMs,
  });
  const sid = /"sid":"([^"]+)"/.exec(answer.body.toString('utf8'))?.[1];
  if (answer.status !== 200 || !sid) throw new Error(`engine.io handshake failed: ${answer.status} ${answer.body.toString('utf8').slice(0, 120)}`);
  return sid;
}

const pollingRequest = (target: CaseTarget, method: string, sid: string, body?: Buffer): Buffer[] => {
  const head = `${method} /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\n`;
  if (!body) return [Buffer.from(`${head}\r\n`)];
  return [Buffer.from(`${head}content-type: text/plain;charset=UTF-8\r\ncontent-length: ${body.length}\r\n\r\n`), body];
};

async function runEnginePolling(c: HostileCase, target: CaseTarget, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  const sid = await engineHandshake(target, timeoutMs);
  let last: RawAnswer | undefined;
  for (const post of c.enginePolling!.posts) {
    const body = Buffer.from(bytesOf(post, target.limits).toString('utf8').replaceAll('{sid}', sid));
    last = await rawExchange({ host: target.host, port: target.port, chunks: pollingRequest(target, 'POST', sid, body), timeoutMs: Math.max(1, deadline - Date.now()) });
    if (last.status !== undefined && last.status >= 500) return `a POST was answered ${last.status}`;
  }
  const problem = checkHttp({ ...c.expect, sessionClosed: undefined }, last?.status, last?.body.toString('utf8') ?? '', last?.closed ?? false);
  if (problem || !c.expect.sessionClosed) return problem;
  // A closed session is unknown to a later poll (400), or a poll gets the close packet "1" after what was queued.
  const got: string[] = [];
  for (let poll = 0; poll < 3; poll++) {
    const after = await rawExchange({ host: target.host, port: target.port, chunks: pollingRequest(target, 'GET', sid), timeoutMs: Math.max(1, deadline - Date.now()) });
    const text = after.body.toString('utf8');
    if (after.status === 400 || (after.status === 200 && /(^|\x1e)1$/.test(text))) return undefined;
    got.push(`${after.status ?? 'no answer'} ${JSON.stringify(text.slice(0, 60))}`);
    if (after.status !== 200) break;
  }
  return `the session is still open: the polls after got ${got.join(', ')}`;
}

async function openSocketIoSession(target: CaseTarget, path: string, timeoutMs: number): Promise<string> {
  if (!path.includes('{sid}')) return path;
  return path.replace('{sid}', await engineHandshake(target, timeoutMs));
}

async function runWs(c: HostileCase, target: CaseTarget, timeoutMs: number): Promise<string | undefined> {
  const spec = c.ws!;
  const deadline = Date.now() + timeoutMs;
  const path = await openSocketIoSession(target, bytesOf(spec.path, target.limits).toString('latin1'), timeoutMs);
  const head = spec.head === undefined ? undefined : bytesOf(spec.head, target.limits).toString('latin1');
  const opened = await openRawWebSocket(target, path, { head, timeoutMs });
  if (isRefusal(opened)) {
    if (c.expect.status === undefined && !c.expect.closed) return `upgrade refused with ${opened.status}: ${opened.body.slice(0, 160)}`;
    return checkHttp(c.expect, opened.status || undefined, opened.body, true);
  }
  const ws: RawWebSocket = opened;
  try {
    if (c.expect.status !== undefined) return `upgraded (101), expected ${JSON.stringify(c.expect.status)}`;
    let skip = 0;
    if (spec.connect !== undefined) {
      // Socket.IO: the engine.io open packet first; the namespace's answer to CONNECT is among the replies.
      const ended = () => ws.closed() || ws.reader.close() !== undefined;
      if (!(await until(() => ws.reader.texts().length > 0 || ended(), deadline))) return 'no engine.io open packet';
      skip = ws.reader.texts().length;
      ws.sendText(spec.connect);
      if (!(await until(() => ws.reader.texts().some((t) => /^4[04]/.test(t)) || ended(), deadline))) return 'no answer to CONNECT';
    }
    for (const frame of spec.frames) {
      const payload = bytesOf(frame.payload, target.limits);
      const claimedLength = frame.claimedLength === undefined ? undefined : sizeOf(frame.claimedLength, target.limits);
      ws.send({ opcode: frame.opcode, payload, fin: frame.fin, rsv: frame.rsv, mask: frame.mask, claimedLength });
    }
    return await checkFrames(c.expect, ws, skip, deadline);
  } finally {
    ws.socket.destroy();
  }
}

const errorCodes = (texts: string[]): string[] =>
  texts.flatMap((text) => {
    try {
      const value = JSON.parse(text) as { type?: unknown; code?: unknown };
      return value.type === 'error' && typeof value.code === 'string' ? [value.code] : [];
    } catch {
      return [];
    }
  });

async function checkFrames(expect: CaseExpectation, ws: RawWebSocket, skip: number, deadline: number): Promise<string | undefined> {
  const codes = typeof expect.code === 'string' ? [expect.code] : (expect.code ?? []);
  const ended = () => ws.closed() || ws.reader.close() !== undefined;
  const replies = () => ws.reader.texts().slice(skip);
  const done = () => {
    if (expect.close || expect.closed) return ended();
    if (codes.length > 0 && errorCodes(replies()).length < codes.length) return ended();
    if (expect.reply !== undefined && !replies().some((t) => new RegExp(expect.reply!).test(t))) return ended();
    return true;
  };
  if (!(await until(done, deadline))) return `nothing conclusive within the time allowed (frames: ${JSON.stringify(replies().slice(0, 3))})`;
  const close = ws.reader.close();
  if (expect.close && (!close || !expect.close.includes(close.code))) {
    return close ? `closed with ${close.code} '${close.reason}', expected ${expect.close.join(' or ')}` : `ended without a close frame, expected ${expect.close.join(' or ')}`;
  }
  if (codes.length > 0 && errorCodes(replies()).join() !== codes.join()) return `error frames ${JSON.stringify(errorCodes(replies()))}, expected ${JSON.stringify(codes)}`;
  if (expect.reply !== undefined && !replies().some((t) => new RegExp(expect.reply!).test(t))) return `no frame matches /${expect.reply}/ (got ${JSON.stringify(replies().slice(0, 3))})`;
  if (expect.open) {
    // Let any close the server is about to send arrive before judging.
    await sleep(20);
    if (ended()) return `the server ended the connection (${close ? `${close.code} '${close.reason}'` : 'no close frame'}), expected it to stay open`;
  }
  return undefined;
}

async function runTcp(c: HostileCase, target: CaseTarget, timeoutMs: number): Promise<string | undefined> {
  const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
  const lines: string[] = [];
  let partial = '';
  let closed = false;
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  socket.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    for (const piece of c.tcp!.send) socket.write(bytesOf(piece, target.limits));
    const { expect } = c;
    const codes = typeof expect.code === 'string' ? [expect.code] : (expect.code ?? []);
    const done = () => {
      if (expect.closed && !closed) return false;
      if (errorCodes(lines).length < codes.length) return closed;
      if (expect.reply !== undefined && !lines.some((l) => new RegExp(expect.reply!).test(l))) return closed;
      return true;
    };
    if (!(await until(done, Date.now() + timeoutMs))) return `nothing conclusive within ${timeoutMs} ms (lines: ${JSON.stringify(lines.slice(0, 3))})`;
    if (errorCodes(lines).join() !== codes.join()) return `error lines ${JSON.stringify(errorCodes(lines))}, expected ${JSON.stringify(codes)}`;
    if (expect.reply !== undefined && !lines.some((l) => new RegExp(expect.reply!).test(l))) return `no line matches /${expect.reply}/`;
    if (expect.open) {
      await sleep(20);
      if (closed) return 'the server closed the connection, expected it to stay open';
    }
    return undefined;
  } finally {
    socket.destroy();
  }
}

/** Runs `c`; resolves with what was wrong, or undefined when the server handled the input as expected. */
export async function runCase(c: HostileCase, target: CaseTarget): Promise<string | undefined> {
  const timeoutMs = sizeOf(c.timeoutMs, target.limits);
  if (c.http) return runHttp(c, target, timeoutMs);
  if (c.ws) return runWs(c, target, timeoutMs);
  if (c.tcp) return runTcp(c, target, timeoutMs);
  return runEnginePolling(c, target, timeoutMs);
}
