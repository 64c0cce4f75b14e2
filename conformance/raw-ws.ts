import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { parseHead } from './raw-http.ts';

/**
 * A hand-made WebSocket client on a net socket (RFC 6455), to send frames the ws library refuses to send —
 * invalid UTF-8, reserved bits and opcodes, lying lengths, unmasked frames — and to read the server's
 * frames, close code and reason included. Also the way to hold a connection open without reading it.
 */

export interface FrameSpec {
  opcode: number;
  payload: Buffer;
  /** Default true. */
  fin?: boolean;
  /** RSV1-3 bits as a number 0-7 (default 0). */
  rsv?: number;
  /** Clients must mask (default true); false sends a protocol violation. */
  mask?: boolean;
  /** Announce this payload length instead of the real one (a lie; the real bytes follow). */
  claimedLength?: number;
}

export function encodeFrame(spec: FrameSpec): Buffer {
  const { opcode, payload } = spec;
  const mask = spec.mask ?? true;
  const length = spec.claimedLength ?? payload.length;
  const first = ((spec.fin ?? true) ? 0x80 : 0) | (((spec.rsv ?? 0) & 7) << 4) | (opcode & 0x0f);
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([first, length]);
  } else if (length < 65_536) {
    header = Buffer.alloc(4);
    header.writeUInt16BE(length, 2);
    header[0] = first;
    header[1] = 126;
  } else {
    header = Buffer.alloc(10);
    header.writeBigUInt64BE(BigInt(length), 2);
    header[0] = first;
    header[1] = 127;
  }
  if (!mask) return Buffer.concat([header, payload]);
  header[1] |= 0x80;
  const key = randomBytes(4);
  const masked = Buffer.allocUnsafe(payload.length);
  for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ key[i & 3];
  return Buffer.concat([header, key, masked]);
}

export interface ServerFrame {
  opcode: number;
  fin: boolean;
  payload: Buffer;
}

/** Splits the server's (unmasked) frames out of the byte stream. */
export class FrameReader {
  readonly frames: ServerFrame[] = [];
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const b = this.#buffer;
      if (b.length < 2) return;
      let length = b[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (b.length < 4) return;
        length = b.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (b.length < 10) return;
        length = Number(b.readBigUInt64BE(2));
        offset = 10;
      }
      if (b.length < offset + length) return;
      this.frames.push({ fin: (b[0] & 0x80) !== 0, opcode: b[0] & 0x0f, payload: b.subarray(offset, offset + length) });
      this.#buffer = b.subarray(offset + length);
    }
  }

  /** The close frame's code and reason, once one arrived (code 1005 when it carried none). */
  close(): { code: number; reason: string } | undefined {
    const frame = this.frames.find((f) => f.opcode === 0x8);
    if (!frame) return undefined;
    if (frame.payload.length < 2) return { code: 1005, reason: '' };
    return { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString('utf8') };
  }

  /** Text frames received so far, as strings. */
  texts(): string[] {
    return this.frames.filter((f) => f.opcode === 0x1).map((f) => f.payload.toString('utf8'));
  }
}

export interface RawWebSocket {
  readonly socket: net.Socket;
  readonly reader: FrameReader;
  /** The server ended or reset the TCP connection. */
  closed(): boolean;
  send(spec: FrameSpec): void;
  sendText(text: string): void;
}

export interface RawUpgradeRefusal {
  status: number;
  head: string;
  body: string;
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/**
 * Opens a WebSocket by hand. Resolves with the connection after `101`, or with the refusal (status and
 * body) when the server answered with plain HTTP. `extraHead` replaces the standard upgrade headers.
 */
export function openRawWebSocket(
  target: { host?: string; port: number },
  path: string,
  options: { head?: string; timeoutMs?: number } = {},
): Promise<RawWebSocket | RawUpgradeRefusal> {
  const socket = net.connect({ host: target.host ?? '127.0.0.1', port: target.port, noDelay: true });
  const reader = new FrameReader();
  let closed = false;
  let upgraded = false;
  let buffer = Buffer.alloc(0);
  socket.on('error', () => {});
  socket.on('close', () => (closed = true));
  const head =
    options.head ??
    `Host: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${KEY}\r\n`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to the upgrade of ${path} within ${options.timeoutMs ?? 5_000} ms`));
    }, options.timeoutMs ?? 5_000);
    const refuse = () => {
      clearTimeout(timer);
      const answer = parseHead(buffer);
      socket.destroy();
      const body = answer ? buffer.subarray(answer.bodyStart).toString('utf8') : '';
      resolve({ status: answer?.status ?? 0, head: answer?.head ?? buffer.toString('latin1').slice(0, 200), body });
    };
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return reader.push(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      const answer = parseHead(buffer);
      if (!answer) return;
      if (answer.status !== 101) {
        if (answer.contentLength === undefined || buffer.length >= answer.bodyStart + answer.contentLength) refuse();
        return;
      }
      clearTimeout(timer);
      upgraded = true;
      const rest = buffer.subarray(answer.bodyStart);
      if (rest.length > 0) reader.push(rest);
      resolve({
        socket,
        reader,
        closed: () => closed,
        send: (spec) => void (socket.writable && socket.write(encodeFrame(spec))),
        sendText: (text) => void (socket.writable && socket.write(encodeFrame({ opcode: 0x1, payload: Buffer.from(text) }))),
      });
    });
    socket.on('close', () => {
      if (!upgraded) refuse();
    });
    socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\n${head}\r\n`));
  });
}

export function isRefusal(value: RawWebSocket | RawUpgradeRefusal): value is RawUpgradeRefusal {
  return 'status' in value;
}
