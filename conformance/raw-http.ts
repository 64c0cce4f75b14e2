import net from 'node:net';

/**
 * One HTTP exchange on a bare net socket: write bytes no HTTP client would send (garbage, floods, lies in
 * the framing), then read whatever comes back. Knows just enough HTTP to see where an answer ends.
 */

export interface RawAnswer {
  /** Status of the first answer, when one arrived. */
  status?: number;
  /** The head of the first answer (status line and headers), as text. */
  head: string;
  /** The body of the first answer so far (by content-length; else everything up to close). */
  body: Buffer;
  /** The server ended or reset the connection. */
  closed: boolean;
  /** Nothing conclusive arrived within the time allowed. */
  timedOut: boolean;
  /** A socket error seen on the way (EPIPE, ECONNRESET …), if any. */
  error?: string;
}

export interface RawExchangeOptions {
  host?: string;
  port: number;
  /** Written in order; with `dripMs` each chunk waits that long after the previous one. */
  chunks: Buffer[];
  dripMs?: number;
  /** Give up after this long, ms. */
  timeoutMs: number;
  /** Resolve once the answer's head is in rather than waiting for its body (streams, held polls). */
  headOnly?: boolean;
}

const HEAD_END = Buffer.from('\r\n\r\n');

/** Parses the head of an answer in `buffer`, if complete. */
export function parseHead(buffer: Buffer): { status: number; head: string; bodyStart: number; contentLength?: number; chunked: boolean } | undefined {
  let start = 0;
  let end = buffer.indexOf(HEAD_END);
  // Skip interim answers (100 Continue; not 101, which is final): the final one is what counts.
  while (end !== -1 && /^HTTP\/1\.[01] 1(?!01)\d\d /.test(buffer.subarray(start, start + 13).toString('latin1'))) {
    start = end + 4;
    end = buffer.indexOf(HEAD_END, start);
  }
  if (end === -1) return undefined;
  const head = buffer.subarray(start, end).toString('latin1');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!match) return undefined;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return {
    status: Number(match[1]),
    head,
    bodyStart: end + 4,
    contentLength: length ? Number(length[1]) : undefined,
    chunked: /\r\ntransfer-encoding:\s*chunked/i.test(head),
  };
}

export function rawExchange(options: RawExchangeOptions): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: options.host ?? '127.0.0.1', port: options.port, noDelay: true });
    let buffer = Buffer.alloc(0);
    let error: string | undefined;
    let closed = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      socket.destroy();
      const head = parseHead(buffer);
      const body = head ? buffer.subarray(head.bodyStart, head.contentLength === undefined ? undefined : head.bodyStart + head.contentLength) : Buffer.alloc(0);
      resolve({ status: head?.status, head: head?.head ?? buffer.subarray(0, 200).toString('latin1'), body, closed, timedOut, error });
    };

    const complete = (): boolean => {
      const head = parseHead(buffer);
      if (!head) return false;
      if (options.headOnly) return true;
      if (head.contentLength !== undefined) return buffer.length >= head.bodyStart + head.contentLength;
      if (head.chunked) return buffer.indexOf('\r\n0\r\n\r\n', head.bodyStart - 2) !== -1;
      return false; // framed by close
    };

    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (complete()) finish(false);
    });
    // A server that answers early and closes may reset the rest of a big write: the answer still counts.
    socket.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    socket.on('close', () => {
      closed = true;
      finish(false);
    });
    timers.push(setTimeout(() => finish(true), options.timeoutMs));

    socket.once('connect', () => {
      options.chunks.forEach((chunk, i) => {
        if (!options.dripMs) socket.write(chunk);
        else timers.push(setTimeout(() => socket.writable && socket.write(chunk), i * options.dripMs));
      });
    });
  });
}
