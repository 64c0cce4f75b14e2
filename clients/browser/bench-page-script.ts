/**
 * The script of the page that holds a benchmark's browser clients (run --client-runtime browser), plain browser
 * JavaScript over window.TransportBenchClients (feed-clients-script.ts). The load process adds clients to a page,
 * then collects what they received in batches: each receipt is stamped in the page, on the page's clock, when
 * the client parsed the message, so how late a batch is collected does not change any latency. One CDP round
 * trip per batch, never one per message.
 *
 * window.TransportBenchPage:
 * - add(specs) -> Promise, resolved when every client is open: spec { index, transport, origin, clockOrigin, room, cid, pollIntervalMs }
 * - drain() -> { receipts: [index, seq, room, at, ts, receivedMs, payloadLength][], clients: state by index }
 * - offset(index, k) -> the page clock's offset to the server's over that client's transport
 * - pollTimings() -> { inFlight: ms[], turn: ms[] } of the polls answered since the last call, from Resource Timing
 * - close()
 */
export const BENCH_PAGE_SCRIPT = String.raw`(function () {
  'use strict';
  var api = window.TransportBenchClients;
  var clients = [];
  var receipts = [];
  // Resource Timing keeps 250 entries by default; a measured window of polling clients makes thousands.
  performance.setResourceTimingBufferSize(100000);

  // Each poll's time in flight (fetch called -> answer read: Chromium's queue, the server's hold, the read) and
  // the page's turn after it (answer read -> the client's next fetch: parsing, handing over, any interval).
  // Without Timing-Allow-Origin only these ends are visible across origins, which keeps the answers' bytes honest.
  function pollTimings() {
    var byClient = {};
    performance.getEntriesByType('resource').forEach(function (e) {
      if (e.name.indexOf('/poll?') < 0) return;
      var cid = new URL(e.name).searchParams.get('cid');
      (byClient[cid] = byClient[cid] || []).push(e);
    });
    performance.clearResourceTimings();
    var inFlight = [];
    var turn = [];
    Object.keys(byClient).forEach(function (cid) {
      var polls = byClient[cid].sort(function (a, b) { return a.startTime - b.startTime; });
      polls.forEach(function (e, i) {
        inFlight.push(e.responseEnd - e.startTime);
        if (i > 0) turn.push(e.startTime - polls[i - 1].responseEnd);
      });
    });
    return { inFlight: inFlight, turn: turn };
  }

  function add(specs) {
    return Promise.all(specs.map(function (spec) {
      return new Promise(function (resolve) {
        var entry = { client: null, errors: 0, lastError: '', readyMs: 0 };
        var started = api.now();
        clients[spec.index] = entry;
        entry.client = api.connect({
          transport: spec.transport,
          origin: spec.origin,
          room: spec.room,
          cid: spec.cid,
          pollIntervalMs: spec.pollIntervalMs,
          clockOrigin: spec.clockOrigin,
          // The rooms are primed: a first poll is answered at once, and one that is not is queued, not held.
          heldIsOpen: false,
          onMessage: function (m) { receipts.push([spec.index, m.seq, m.room, m.at, m.ts, api.now(), m.payload.length]); },
          onState: function (state, detail) {
            if (state === 'open' && entry.readyMs === 0) {
              entry.readyMs = api.now() - started;
              resolve();
            }
            if (state === 'reconnecting') {
              entry.errors++;
              entry.lastError = detail || 'reconnecting';
            }
          },
        });
      });
    }));
  }

  function drain() {
    var out = receipts;
    receipts = [];
    return {
      receipts: out,
      clients: clients.map(function (c) {
        if (!c) return null;
        return { errors: c.errors, lastError: c.lastError, readyMs: c.readyMs, lastSeq: c.client.lastSeq, polls: c.client.polls || 0, empty: c.client.empty || 0 };
      }),
    };
  }

  function close() {
    clients.forEach(function (c) { if (c) c.client.close(); });
    clients = [];
    receipts = [];
  }

  window.TransportBenchPage = {
    add: add,
    drain: drain,
    offset: function (index, k) { return api.estimateOffset(clients[index].client, k); },
    pollTimings: pollTimings,
    close: close,
  };
})();
`;

/** The page itself: the scripts only (socket.io-client's bundle, the feed's clients, this one); no markup to draw. */
export const BENCH_PAGE_PATHS = { page: '/', socketIo: '/socket.io.min.js', clients: '/feed-clients.js', script: '/bench-page.js' } as const;

export const BENCH_PAGE_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>transport-bench clients</title></head>
<body>
<script src="${BENCH_PAGE_PATHS.socketIo}"></script>
<script src="${BENCH_PAGE_PATHS.clients}"></script>
<script src="${BENCH_PAGE_PATHS.script}"></script>
</body></html>
`;
