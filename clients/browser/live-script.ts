/**
 * The live page's own script (plain browser JavaScript, ES2017): the seed's chat app with rooms, once per
 * transport, side by side. It reads the page's config from its JSON block, connects one client per panel
 * through window.TransportBenchClients (feed-clients-script.ts), and shows per panel the messages, the echo
 * latency of this page's own last messages, the bytes the server's sockets counted for that connection
 * (GET /meter on the panel's server), the reconnects, and whether every message arrived once and in order.
 * Text only ever goes into the page with textContent. Kept as a string, as the report's page script is.
 */
export const LIVE_SCRIPT = String.raw`(function () {
  'use strict';
  var CONFIG = JSON.parse(document.getElementById('live-config').textContent);
  var NAME = /^[A-Za-z0-9_-]{1,64}$/;
  var LATENCY_SAMPLES = 50;
  var MESSAGES_SHOWN = 200;
  var METER_EVERY_MS = 1000;
  var panels = [];
  var nick = '';
  var room = '';

  function randomId() {
    var bytes = new Uint8Array(9);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b % 36).toString(36); }).join('');
  }

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function role(root, name) { return root.querySelector('[data-role="' + name + '"]'); }

  function percentile(sorted, p) {
    if (sorted.length === 0) return NaN;
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  }

  function ms(value) { return isNaN(value) ? '–' : (value < 10 ? value.toFixed(1) : Math.round(value)) + ' ms'; }

  function kb(bytes) { return bytes < 10000 ? bytes + ' B' : (bytes / 1000).toFixed(1) + ' kB'; }

  /** A chat payload: who, what, and this page's id for the message (its echo latency). */
  function parsePayload(payload) {
    try {
      var value = JSON.parse(payload);
      if (value && typeof value.n === 'string' && typeof value.t === 'string') return value;
    } catch (e) { /* not ours: the demo feed's filler */ }
    return null;
  }

  function Panel(root) {
    this.root = root;
    this.transport = root.getAttribute('data-transport');
    this.origin = CONFIG.origins[this.transport];
    this.sent = {};
    this.latencies = [];
    this.client = null;
    this.cid = '';
    this.expected = 0;
    this.lost = 0;
    this.duplicates = 0;
    var self = this;
    role(root, 'composer').addEventListener('submit', function (event) {
      event.preventDefault();
      self.send();
    });
  }

  Panel.prototype.join = function () {
    var self = this;
    if (this.client) this.client.close();
    role(this.root, 'messages').textContent = '';
    this.sent = {};
    this.latencies = [];
    this.expected = 0;
    this.lost = 0;
    this.duplicates = 0;
    this.cid = randomId();
    this.showCounters();
    this.client = window.TransportBenchClients.connect({
      transport: this.transport,
      origin: this.origin,
      room: room,
      cid: this.cid,
      pollIntervalMs: CONFIG.pollIntervalMs,
      onMessage: function (message) { self.receive(message); },
      onState: function (state, detail) {
        var text = state + (detail ? ' (' + detail + ')' : '');
        role(self.root, 'state').textContent = text;
        self.root.setAttribute('data-state', state);
        self.showCounters();
      },
      onReset: function () { self.expected = 0; },
    });
  };

  Panel.prototype.receive = function (message) {
    if (message.room !== room) return;
    if (this.expected > 0 && message.seq < this.expected) this.duplicates++;
    else {
      if (this.expected > 0 && message.seq > this.expected) this.lost += message.seq - this.expected;
      this.expected = message.seq + 1;
    }
    var chat = parsePayload(message.payload);
    if (chat && chat.id && this.sent[chat.id] !== undefined) {
      this.latencies.push(performance.now() - this.sent[chat.id]);
      if (this.latencies.length > LATENCY_SAMPLES) this.latencies.shift();
      delete this.sent[chat.id];
    }
    var list = role(this.root, 'messages');
    var item = el('li');
    item.setAttribute('data-seq', String(message.seq));
    if (chat) {
      item.appendChild(el('span', chat.n, 'nick'));
      item.appendChild(el('span', chat.t, 'text'));
    } else {
      item.appendChild(el('span', 'feed', 'nick feed'));
      item.appendChild(el('span', message.payload.slice(0, 60), 'text'));
    }
    item.appendChild(el('span', '#' + message.seq, 'seq'));
    list.appendChild(item);
    while (list.children.length > MESSAGES_SHOWN) list.removeChild(list.firstChild);
    list.scrollTop = list.scrollHeight;
    this.showCounters();
  };

  Panel.prototype.send = function () {
    var self = this;
    var input = role(this.root, 'message-input');
    var error = role(this.root, 'error');
    var text = input.value;
    error.textContent = '';
    if (text.trim() === '') { error.textContent = 'Type a message first.'; return; }
    if (text.length > CONFIG.maxTextLength) {
      error.textContent = 'Too long: at most ' + CONFIG.maxTextLength + ' characters (this one has ' + text.length + ').';
      return;
    }
    var id = randomId();
    this.sent[id] = performance.now();
    input.value = '';
    this.client.publish(JSON.stringify({ n: nick, t: text, id: id })).catch(function (e) {
      delete self.sent[id];
      error.textContent = 'Not sent: ' + e.message;
    });
  };

  Panel.prototype.showCounters = function () {
    var sorted = this.latencies.slice().sort(function (a, b) { return a - b; });
    role(this.root, 'latency').textContent = sorted.length ? 'p50 ' + ms(percentile(sorted, 50)) + ' · p99 ' + ms(percentile(sorted, 99)) + ' (' + sorted.length + ')' : '–';
    role(this.root, 'reconnects').textContent = String(this.client ? this.client.reconnects : 0);
    role(this.root, 'integrity').textContent = this.lost === 0 && this.duplicates === 0 ? 'every message once, in order' : this.lost + ' lost, ' + this.duplicates + ' twice';
  };

  Panel.prototype.meter = function () {
    var self = this;
    if (!this.cid) return;
    fetch(this.origin + '/meter?client=' + this.cid, { cache: 'no-store' })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (bytes) {
        if (bytes && bytes.client === self.cid) role(self.root, 'bytes').textContent = '↑ ' + kb(bytes.sent) + ' · ↓ ' + kb(bytes.received);
      })
      .catch(function () { /* the panel's state already says the server is away */ });
  };

  function join() {
    var nickInput = document.querySelector('[data-role="nickname"]');
    var roomInput = document.querySelector('[data-role="room"]');
    var error = document.querySelector('[data-role="join-error"]');
    error.textContent = '';
    if (!NAME.test(nickInput.value)) { error.textContent = 'Nickname: 1–64 of A–Z a–z 0–9 _ - (the feed\'s rule for rooms).'; return; }
    if (!NAME.test(roomInput.value)) { error.textContent = 'Room: 1–64 of A–Z a–z 0–9 _ -.'; return; }
    nick = nickInput.value;
    room = roomInput.value;
    document.querySelector('[data-role="current-room"]').textContent = room;
    panels.forEach(function (panel) { panel.join(); });
  }

  panels = Array.prototype.map.call(document.querySelectorAll('[data-transport]'), function (root) { return new Panel(root); });
  document.querySelector('[data-role="nickname"]').value = 'guest-' + randomId().slice(0, 4);
  document.querySelector('[data-role="room"]').value = CONFIG.room;
  document.querySelector('[data-role="join"]').addEventListener('submit', function (event) {
    event.preventDefault();
    join();
  });
  setInterval(function () { panels.forEach(function (panel) { panel.meter(); }); }, METER_EVERY_MS);
  join();
})();
`;
