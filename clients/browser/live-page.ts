import { transportLabel, type TransportName } from '../../protocol/transports.ts';

/**
 * The live page: the seed's chat app with rooms over every transport a browser has, one panel each. One
 * self-contained HTML page with no external resources: its style and scripts come from the server that served
 * it (the script and style bodies are in live-script.ts, feed-clients-script.ts and LIVE_CSS below), and a
 * strict CSP lets it connect to the five transports' servers only.
 *
 * Markup contract (docs/live-page.md): each panel is `[data-transport="<name>"]` holding
 * `[data-role="message-input"]`, `[data-role="send"]` and `[data-role="messages"]` (one `li[data-seq]` per
 * message), and `[data-role="state"]`, `[data-role="latency"]`, `[data-role="bytes"]`, `[data-role="reconnects"]`,
 * `[data-role="integrity"]`, `[data-role="error"]`.
 */

/** The transports a browser can speak: all but raw TCP. */
export const BROWSER_TRANSPORTS = ['short-polling', 'long-polling', 'ws', 'socket-io', 'sse'] as const satisfies readonly TransportName[];
export type BrowserTransport = (typeof BROWSER_TRANSPORTS)[number];

export interface LivePageConfig {
  /** Each transport's server as the page reaches it, `http://host:port`. */
  origins: Record<BrowserTransport, string>;
  /** The room the page joins first. */
  room: string;
  /** Longest chat text accepted, characters. */
  maxTextLength: number;
  /** Short polling's interval, ms. */
  pollIntervalMs: number;
}

/** Where the page's own files are served, on the page's server. */
export const LIVE_PATHS = { page: '/', style: '/live.css', clients: '/feed-clients.js', script: '/live.js', socketIo: '/socket.io.min.js' } as const;

/** The page's CSP: its own files, and connections to the five servers (fetch, EventSource, XHR, WebSocket) only. */
export function livePageCsp(config: LivePageConfig): string {
  const origins = Object.values(config.origins);
  const connect = ["'self'", ...origins, ...origins.map((origin) => origin.replace(/^http/, 'ws'))];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src ${[...new Set(connect)].join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function panel(transport: BrowserTransport, pollIntervalMs: number): string {
  const label = transport === 'short-polling' ? `${transportLabel(transport)} (${pollIntervalMs} ms)` : transportLabel(transport);
  return `<section class="panel" data-transport="${transport}" data-state="connecting">
<h2>${escapeHtml(label)}</h2>
<p class="state" data-role="state">connecting</p>
<dl class="counters">
<dt>Echo latency, your last messages</dt><dd data-role="latency">–</dd>
<dt>Bytes on this connection (server's count)</dt><dd data-role="bytes">–</dd>
<dt>Reconnects</dt><dd data-role="reconnects">0</dd>
<dt>Delivery</dt><dd data-role="integrity">–</dd>
</dl>
<ol class="messages" data-role="messages" aria-live="polite"></ol>
<form class="composer" data-role="composer"><input data-role="message-input" aria-label="Message over ${escapeHtml(label)}" autocomplete="off"><button data-role="send" type="submit">Send</button></form>
<p class="error" data-role="error" role="alert"></p>
</section>`;
}

export function livePageHtml(config: LivePageConfig): string {
  // The config travels as JSON in a non-executed script block; '<' escaped so no text can close the block.
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>transport-bench live: one chat, five transports</title>
<link rel="stylesheet" href="${LIVE_PATHS.style}">
</head>
<body>
<header>
<h1>One chat, five transports</h1>
<p>The same room over short polling, long polling, WebSocket, Socket.IO and Server-Sent Events, each panel with its own connection to its own server. Open this page twice and talk to yourself.</p>
<form class="join" data-role="join">
<label>Nickname <input data-role="nickname" autocomplete="off"></label>
<label>Room <input data-role="room" autocomplete="off"></label>
<button type="submit">Join</button>
<span>in room <strong data-role="current-room"></strong></span>
</form>
<p class="error" data-role="join-error" role="alert"></p>
</header>
<main class="panels">
${BROWSER_TRANSPORTS.map((t) => panel(t, config.pollIntervalMs)).join('\n')}
</main>
<script type="application/json" id="live-config">${json}</script>
<script src="${LIVE_PATHS.socketIo}"></script>
<script src="${LIVE_PATHS.clients}"></script>
<script src="${LIVE_PATHS.script}"></script>
</body>
</html>
`;
}

export const LIVE_CSS = `:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f4f5f8; }
body { margin: 0; padding: 1rem; }
header h1 { margin: 0 0 .25rem; font-size: 1.4rem; }
header p { margin: 0 0 .75rem; max-width: 60rem; }
.join { display: flex; gap: .75rem; align-items: center; flex-wrap: wrap; }
.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: .75rem; margin-top: 1rem; }
.panel { background: #fff; border-radius: .5rem; padding: .75rem; box-shadow: 0 1px 3px rgba(0, 0, 0, .12); display: flex; flex-direction: column; min-height: 28rem; }
.panel h2 { margin: 0; font-size: 1.05rem; }
.panel[data-state="open"] .state { color: #1a7f37; }
.panel[data-state="reconnecting"] .state { color: #b35900; }
.state { margin: .2rem 0; font-size: .85rem; }
.counters { display: grid; grid-template-columns: auto 1fr; gap: .1rem .5rem; font-size: .8rem; margin: .25rem 0; }
.counters dt { color: #5a6270; }
.counters dd { margin: 0; font-variant-numeric: tabular-nums; }
.messages { flex: 1; overflow-y: auto; max-height: 20rem; margin: .5rem 0; padding-left: 0; list-style: none; font-size: .9rem; }
.messages li { padding: .1rem 0; overflow-wrap: anywhere; }
.nick { font-weight: 600; margin-right: .4rem; }
.nick.feed { color: #8c96a3; font-weight: 400; }
.seq { color: #8c96a3; font-size: .75rem; margin-left: .4rem; }
.composer { display: flex; gap: .4rem; }
.composer input { flex: 1; min-width: 0; }
.error { color: #b00020; min-height: 1.2em; margin: .25rem 0 0; font-size: .85rem; }
`;
