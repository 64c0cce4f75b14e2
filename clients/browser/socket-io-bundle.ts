import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** socket.io-client's browser bundle, from the installed package (its exports do not name dist/, so found from its main). */
export function socketIoBundlePath(): string {
  let dir = path.dirname(createRequire(import.meta.url).resolve('socket.io-client'));
  while (!existsSync(path.join(dir, 'package.json')) || JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name !== 'socket.io-client') {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('socket.io-client is not installed: run npm ci');
    dir = up;
  }
  return path.join(dir, 'dist', 'socket.io.min.js');
}
