/**
 * The feed's clients as a browser runs them, one per transport, in plain browser JavaScript (ES2017, no build
 * step): `fetch` for short and long polling, the native `WebSocket` and `EventSource`, and socket.io-client's own
 * browser bundle (`window.io`, served beside the page). Each follows docs/protocol.md as the Node clients in
 * clients/ do: it subscribes to a room from a cursor, resumes from its last seq after any close it did not ask
 * for (50 ms, doubling up to 2 s, as clients/backoff.ts), and publishes through its own transport.
 *
 * It defines `window.TransportBenchClients`: `connect(options)` (options and the returned client are described
 * beside it below), `estimateOffset(client, k)` (the page's clock against the server's, over the client's own
 * transport) and `now()` (the page's clock, ms; a test may replace it to inject an offset). Every request and upgrade carries `cid=<options.cid>`, so the server's meter
 * (servers/connection-meter.ts) can say what this client's bytes were. Kept as a string, as the report's page
 * script is, so what a page's CSP admits is exactly what the tests ran.
 */
export const FEED_CLIENTS_SCRIPT = String.raw`(function () {
  'use strict';
  var FIRST_RETRY_MS = 50;
  var MAX_RETRY_MS = 2000;
  // A long poll held this long without failing is a connection in place (a refused one fails well before).
  var HELD_IS_OPEN_MS = 250;

  function query(params) {
    return Object.keys(params).map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(String(params[k])); }).join('&');
  }

  var clockRequests = 0;

  /**
   * The server's clock over HTTP. The bracket around the server's reading is the request's Resource Timing
   * (requestStart → responseStart, the network stack's own times; the server allows it with Timing-Allow-Origin)
   * rather than the script's send and the parsed answer: that leaves Chromium's hops between its network service
   * and the page out of the round trip, and they are neither short nor symmetric on a busy machine.
   */
  function clockOverHttp(origin, cid) {
    var url = origin + '/clock?' + query({ cid: cid, n: ++clockRequests });
    // Polls fill the timeline too (250 entries by default): make room for this one.
    performance.clearResourceTimings();
    return fetch(url, { cache: 'no-store' }).then(function (res) { return res.json(); }).then(function (body) {
      var entries = performance.getEntriesByName(url);
      var timing = entries[entries.length - 1];
      if (!timing || !(timing.requestStart > 0) || !(timing.responseStart > 0)) return body.now;
      // Resource Timing is on the performance clock; the page's clock (api.now) may be shifted from it.
      var shift = api.now() - performance.now();
      return { now: body.now, sent: timing.requestStart + shift, back: timing.responseStart + shift };
    });
  }

  function publishOverHttp(origin, cid, room, payload) {
    return fetch(origin + '/publish?' + query({ cid: cid }), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ room: room, payload: payload }),
    }).then(function (res) {
      return res.json().then(function (body) {
        if (!res.ok) throw new Error(body && body.message ? body.message : 'HTTP ' + res.status);
        return body.seq;
      });
    });
  }

  /**
   * options: { transport: 'short-polling' | 'long-polling' | 'ws' | 'socket-io' | 'sse', origin: 'http://host:port',
   *   room, cursor (default 0), cid, pollIntervalMs (short polling, default 100),
   *   heldIsOpen (long polling: a poll held 250 ms counts as open; default true, false waits for an answer),
   *   clockOrigin (where an HTTP clock is asked; default origin: another host name keeps it out of the clients' queue),
   *   onMessage(message), onState(state, detail) with state 'connecting' | 'open' | 'reconnecting' | 'closed',
   *   onReset(head) when the server lost its log (the cursor was beyond the room's head) }
   * returns { publish(payload) -> Promise<seq>, clock() -> Promise<server µs>, close(), reconnects (count), lastSeq,
   *   and for the polling transports polls and empty (polls answered, and with no message) }
   */
  function connect(o) {
    var client = { reconnects: 0, lastSeq: o.cursor || 0, closed: false };
    var retries = 0;
    var state = function (s, detail) { if (o.onState) o.onState(s, detail); };
    var deliver = function (message) {
      client.lastSeq = Math.max(client.lastSeq, message.seq);
      o.onMessage(message);
    };
    var retry = function (reason, again) {
      if (client.closed) return;
      client.reconnects++;
      state('reconnecting', reason);
      var wait = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, retries++));
      setTimeout(function () { if (!client.closed) again(); }, wait);
    };
    var opened = function () { retries = 0; state('open'); };
    state('connecting');
    var impl = TRANSPORTS[o.transport];
    if (!impl) throw new Error('unknown transport ' + o.transport);
    impl(o, client, { deliver: deliver, retry: retry, opened: opened, state: state });
    return client;
  }

  function polling(long) {
    return function (o, client, on) {
      var controller = null;
      // Polls answered, and how many of them empty (the Node clients' pollCounts()).
      client.polls = 0;
      client.empty = 0;
      var poll = function () {
        if (client.closed) return;
        controller = new AbortController();
        var url = o.origin + '/poll?' + query({ room: o.room, cursor: client.lastSeq, cid: o.cid });
        var held = long && o.heldIsOpen !== false ? setTimeout(on.opened, HELD_IS_OPEN_MS) : undefined;
        fetch(url, { cache: 'no-store', signal: controller.signal })
          .then(function (res) {
            clearTimeout(held);
            return res.json().then(function (body) {
              if (!res.ok) throw new Error(body && body.message ? body.message : 'HTTP ' + res.status);
              return body;
            });
          })
          .then(function (body) {
            client.polls++;
            if (body.messages.length === 0) client.empty++;
            on.opened();
            if (body.reset) {
              client.lastSeq = 0;
              if (o.onReset) o.onReset(body.cursor);
            }
            body.messages.forEach(on.deliver);
            if (body.reset) client.lastSeq = body.cursor;
            // Long polling asks again at once (not through setTimeout, which Chromium clamps to 4 ms once
            // nested); short polling after its interval, as clients/short-polling.ts.
            if (long) poll();
            else setTimeout(poll, o.pollIntervalMs || 100);
          })
          .catch(function (error) {
            clearTimeout(held);
            if (client.closed) return;
            on.retry(String(error && error.message || error), poll);
          });
      };
      client.publish = function (payload) { return publishOverHttp(o.origin, o.cid, o.room, payload); };
      client.clock = function () { return clockOverHttp(o.clockOrigin || o.origin, o.cid); };
      client.close = function () { client.closed = true; if (controller) controller.abort(); on.state('closed'); };
      poll();
    };
  }

  function webSocket(o, client, on) {
    var socket = null;
    var nextId = 1;
    var pending = {};
    var open = function () {
      var url = o.origin.replace(/^http/, 'ws') + '/ws?' + query({ room: o.room, cursor: client.lastSeq, cid: o.cid });
      socket = new WebSocket(url);
      socket.onmessage = function (event) {
        var frame = JSON.parse(event.data);
        if (frame.type === 'ready') {
          if (frame.reset && o.onReset) o.onReset(frame.head);
          if (frame.reset) client.lastSeq = 0;
          on.opened();
        } else if (frame.type === 'ack' || frame.type === 'clock' || frame.type === 'error') {
          var waiter = pending[frame.id];
          delete pending[frame.id];
          if (waiter) frame.type === 'error' ? waiter.reject(new Error(frame.message)) : waiter.resolve(frame.type === 'ack' ? frame.seq : frame.now);
        } else {
          on.deliver(frame);
        }
      };
      socket.onclose = function (event) {
        Object.keys(pending).forEach(function (id) { pending[id].reject(new Error('connection closed before the ack')); delete pending[id]; });
        if (!client.closed) on.retry('closed (' + event.code + ')', open);
      };
    };
    var command = function (fields) {
      return new Promise(function (resolve, reject) {
        if (!socket || socket.readyState !== WebSocket.OPEN) return reject(new Error('not connected'));
        var id = nextId++;
        pending[id] = { resolve: resolve, reject: reject };
        fields.id = id;
        socket.send(JSON.stringify(fields));
      });
    };
    client.publish = function (payload) { return command({ type: 'publish', room: o.room, payload: payload }); };
    client.clock = function () { return command({ type: 'clock' }); };
    client.close = function () { client.closed = true; if (socket) socket.close(1000); on.state('closed'); };
    open();
  }

  function serverSentEvents(o, client, on) {
    var source = null;
    var open = function () {
      source = new EventSource(o.origin + '/sse?' + query({ room: o.room, cursor: client.lastSeq, cid: o.cid }));
      // A reset is only a ': reset' comment in SSE (docs/protocol.md), which EventSource cannot see.
      source.onopen = on.opened;
      source.onmessage = function (event) { on.deliver(JSON.parse(event.data)); };
      source.onerror = function () {
        if (client.closed) return;
        // CONNECTING: the browser reconnects by itself, sending Last-Event-ID; CLOSED: it gave up, so do it here.
        if (source.readyState === EventSource.CLOSED) on.retry('stream closed', open);
        else { client.reconnects++; on.state('reconnecting', 'stream interrupted'); }
      };
    };
    client.publish = function (payload) { return publishOverHttp(o.origin, o.cid, o.room, payload); };
    // An EventSource carries nothing upstream: its clock is asked over HTTP, of the same server.
    client.clock = function () { return clockOverHttp(o.clockOrigin || o.origin, o.cid); };
    client.close = function () { client.closed = true; if (source) source.close(); on.state('closed'); };
    open();
  }

  function socketIo(o, client, on) {
    var socket = window.io(o.origin, {
      forceNew: true,
      transports: ['polling', 'websocket'],
      query: { cid: o.cid },
      // A function, so a reconnect whose session cannot be recovered resumes from the last seq.
      auth: function (cb) { cb({ room: o.room, cursor: client.lastSeq }); },
      reconnectionDelay: FIRST_RETRY_MS,
      reconnectionDelayMax: MAX_RETRY_MS,
      randomizationFactor: 0,
    });
    socket.on('connect', on.opened);
    socket.on('message', function (message) { on.deliver(message); });
    socket.on('reset', function (info) {
      client.lastSeq = 0;
      if (o.onReset) o.onReset(info.head);
    });
    socket.on('disconnect', function (reason) {
      if (client.closed) return;
      client.reconnects++;
      on.state('reconnecting', reason);
    });
    socket.on('connect_error', function (error) { if (!client.closed) on.state('reconnecting', error.message); });
    client.publish = function (payload) {
      return new Promise(function (resolve, reject) {
        socket.timeout(5000).emit('publish', { room: o.room, payload: payload }, function (error, ack) {
          if (error) return reject(new Error('no ack within 5 s'));
          if (ack && ack.error) return reject(new Error(ack.error.message));
          resolve(ack.seq);
        });
      });
    };
    client.clock = function () {
      return new Promise(function (resolve, reject) {
        socket.timeout(5000).emit('clock', function (error, answer) { error ? reject(new Error('no clock answer within 5 s')) : resolve(answer.now); });
      });
    };
    client.close = function () { client.closed = true; socket.close(); on.state('closed'); };
  }

  var TRANSPORTS = {
    'short-polling': polling(false),
    'long-polling': polling(true),
    ws: webSocket,
    sse: serverSentEvents,
    'socket-io': socketIo,
  };

  var api = {
    connect: connect,
    transports: Object.keys(TRANSPORTS),
    /** The page's clock, ms since the epoch at 5 µs resolution when the page is cross-origin isolated. */
    now: function () { return performance.timeOrigin + performance.now(); },
    /**
     * The offset of the server's clock from the page's, NTP-style: k ping-pongs over the client's own transport
     * (client.clock()), keeping the one with the shortest round trip, whose midpoint is likeliest to be when the
     * server read its clock. Resolves { offsetMs: server − page, uncertaintyMs: half that round trip, samples }.
     */
    estimateOffset: function (client, k) {
      var best = null;
      var taken = 0;
      var one = function () {
        var sent = api.now();
        return client.clock().then(function (answer) {
          var back = api.now();
          // An HTTP clock brings its own, tighter bracket (clockOverHttp).
          var serverUs = typeof answer === 'number' ? answer : answer.now;
          if (typeof answer !== 'number') {
            sent = answer.sent;
            back = answer.back;
          }
          taken++;
          var rtt = back - sent;
          if (best === null || rtt < best.rtt) best = { rtt: rtt, offset: serverUs / 1000 - (sent + back) / 2 };
          return taken < k ? one() : { offsetMs: best.offset, uncertaintyMs: best.rtt / 2, samples: taken };
        });
      };
      return one();
    },
  };
  window.TransportBenchClients = api;
})();
`;
