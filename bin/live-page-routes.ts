import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { FEED_CLIENTS_SCRIPT } from '../clients/browser/feed-clients-script.ts';
import { BROWSER_TRANSPORTS, LIVE_CSS, LIVE_PATHS, livePageCsp, livePageHtml, type BrowserTransport, type LivePageConfig } from '../clients/browser/live-page.ts';
import { LIVE_SCRIPT } from '../clients/browser/live-script.ts';
import { socketIoBundlePath } from '../clients/browser/socket-io-bundle.ts';
import { errorBody, ERROR_CODES } from '../protocol/error-codes.ts';
import type { TransportName } from '../protocol/transports.ts';

/**
 * Serves the live page (clients/browser/live-page.ts) from `serve`'s base server: the page at `/`, its style
 * and scripts, and socket.io-client's own browser bundle from the npm package. The page reaches each transport's
 * server on the host it was loaded from, so it also works from another machine when `serve --host` allows.
 */

export interface LivePageOptions {
  /** Each transport's port (asked per request: the servers listen after the routes are in place). */
  ports: () => Record<TransportName, number>;
  room: string;
  maxTextLength: number;
  pollIntervalMs: number;
}

/** A Host header's host name, when it is one (a name, an IPv4 or a bracketed IPv6 address), else undefined. */
export function hostOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(?::\d{1,5})?$/.exec(header);
  return match?.[1];
}

/** Headers every file of the page gets: no sniffing, no referrer, and cross-origin isolated (precise timers). */
function pageHeaders(reply: FastifyReply, type: string): FastifyReply {
  return reply
    .header('content-type', type)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-resource-policy', 'same-origin');
}

export function installLivePage(app: FastifyInstance, options: LivePageOptions): void {
  const socketIoBundle = readFileSync(socketIoBundlePath(), 'utf8');
  const js = 'application/javascript; charset=utf-8';

  app.get(LIVE_PATHS.page, async (request, reply) => {
    const host = hostOf(request.headers.host);
    if (host === undefined) return reply.code(400).send(errorBody(400, ERROR_CODES.BAD_REQUEST, 'the Host header is not a host name or address'));
    const ports = options.ports();
    const origins = Object.fromEntries(BROWSER_TRANSPORTS.map((t) => [t, `http://${host}:${ports[t]}`])) as Record<BrowserTransport, string>;
    const config: LivePageConfig = { origins, room: options.room, maxTextLength: options.maxTextLength, pollIntervalMs: options.pollIntervalMs };
    return pageHeaders(reply, 'text/html; charset=utf-8')
      .header('content-security-policy', livePageCsp(config))
      .header('cross-origin-opener-policy', 'same-origin')
      .header('cross-origin-embedder-policy', 'require-corp')
      .send(livePageHtml(config));
  });
  app.get(LIVE_PATHS.style, async (_request, reply) => pageHeaders(reply, 'text/css; charset=utf-8').send(LIVE_CSS));
  app.get(LIVE_PATHS.clients, async (_request, reply) => pageHeaders(reply, js).send(FEED_CLIENTS_SCRIPT));
  app.get(LIVE_PATHS.script, async (_request, reply) => pageHeaders(reply, js).send(LIVE_SCRIPT));
  app.get(LIVE_PATHS.socketIo, async (_request, reply) => pageHeaders(reply, js).send(socketIoBundle));
}
