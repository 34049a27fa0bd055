// Interoperability with the official engine.io-client (v6.6) against the
// engineio-echo server: polling only, WebSocket only, and the default
// (polling, then upgrade to WebSocket).

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'engine.io-client';
import { startServer, waitFor, sleep, printLogIfFailed } from './lib/server.mjs';

const T = { timeout: 15000 };

let server;

before(async () => {
  server = await startServer();
});

after(async () => {
  if (!server) return;
  const { code } = await server.stop();
  assert.equal(code, 0, 'server must exit with code 0 after SIGTERM');
});

afterEach((t) => printLogIfFailed(t, server));

/** Bytes of a binary message as delivered by engine.io-client in Node. */
function toBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new Error(`expected binary data, got ${typeof data}: ${String(data).slice(0, 100)}`);
}

/** Normalizes a received message for comparison: strings stay, binary becomes a Buffer. */
function normalize(data) {
  return typeof data === 'string' ? data : toBuffer(data);
}

/**
 * An engine.io-client Socket with a message queue, so that no message is lost
 * between awaits, and bounded waits.
 */
class Client {
  constructor(mode) {
    const opts = { path: '/engine.io/' };
    if (mode === 'polling') opts.transports = ['polling'];
    if (mode === 'websocket') opts.transports = ['websocket'];
    this.mode = mode;
    this.queue = [];
    this.waiters = [];
    this.closeInfo = null;
    this.pings = 0;
    this.socket = new Socket(server.url, opts);
    this.socket.on('message', (data) => {
      const w = this.waiters.shift();
      if (w) w.resolve(data);
      else this.queue.push(data);
    });
    this.socket.on('ping', () => {
      this.pings++;
    });
    this.socket.on('error', () => {}); // reported through waits and close
    this.socket.on('close', (reason, description) => {
      this.closeInfo = { reason, description };
      for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed (${reason}) while waiting for a message`));
    });
    this.opened = waitFor(this.socket, 'open', 5000);
    this.opened.catch(() => {});
    if (mode === 'default') {
      this.upgraded = waitFor(this.socket, 'upgrade', 5000);
      this.upgraded.catch(() => {});
    }
  }

  /** Waits for open, and for the default mode also for the upgrade. */
  async ready() {
    await this.opened;
    if (this.mode === 'default') await this.upgraded;
  }

  next(timeoutMs = 3000) {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.closeInfo) return Promise.reject(new Error(`socket already closed (${this.closeInfo.reason})`));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no message within ${timeoutMs} ms (transport ${this.socket.transport?.name})`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  send(data) {
    this.socket.send(data);
  }

  close() {
    this.socket.close();
  }
}

const EXPECTED_TRANSPORT = { polling: 'polling', websocket: 'websocket', default: 'websocket' };

for (const mode of ['polling', 'websocket', 'default']) {
  describe(`engine.io-client, transports: ${mode}`, () => {
    test('connects and uses the expected transport', T, async () => {
      const c = new Client(mode);
      try {
        if (mode === 'default') {
          await c.opened;
          assert.equal(c.socket.transport.name, 'polling', 'default mode starts with polling');
          await c.upgraded;
        } else {
          await c.ready();
        }
        assert.equal(c.socket.transport.name, EXPECTED_TRANSPORT[mode]);
        assert.equal(typeof c.socket.id, 'string');
        assert.ok(c.socket.id.length > 0);
      } finally {
        c.close();
      }
    });

    test('text round trip', T, async () => {
      const c = new Client(mode);
      try {
        await c.ready();
        c.send('hello ☃ world');
        assert.equal(await c.next(), 'hello ☃ world');
        assert.equal(c.socket.transport.name, EXPECTED_TRANSPORT[mode]);
      } finally {
        c.close();
      }
    });

    test('binary round trip', T, async () => {
      const c = new Client(mode);
      try {
        await c.ready();
        const sent = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
        c.send(sent);
        const got = await c.next();
        assert.notEqual(typeof got, 'string', 'binary must come back as binary');
        assert.deepEqual(toBuffer(got), sent);

        const view = new Uint8Array([42, 0, 42]);
        c.send(view);
        assert.deepEqual(toBuffer(await c.next()), Buffer.from([42, 0, 42]));
      } finally {
        c.close();
      }
    });

    test('50 messages sent quickly come back in order', T, async () => {
      const c = new Client(mode);
      try {
        await c.ready();
        const sent = [];
        for (let i = 0; i < 50; i++) sent.push(i % 10 === 9 ? Buffer.from([i, 255 - i]) : `message ${i}`);
        for (const m of sent) c.send(m);
        const got = [];
        for (let i = 0; i < sent.length; i++) got.push(normalize(await c.next()));
        assert.deepEqual(got, sent);
      } finally {
        c.close();
      }
    });

    test('the session survives at least 3 heartbeats and still echoes', T, async () => {
      const c = new Client(mode);
      try {
        await c.ready();
        const start = Date.now();
        const deadline = start + 3000;
        const target = c.pings + 3;
        while (c.pings < target) {
          assert.equal(c.closeInfo, null, `closed during heartbeats: ${JSON.stringify(c.closeInfo)}`);
          const left = deadline - Date.now();
          assert.ok(left > 0, `only ${3 - (target - c.pings)} pings within 3000 ms`);
          await waitFor(c.socket, 'ping', left);
        }
        assert.ok(Date.now() - start >= 500, 'three pings must span more than pingInterval + pingTimeout');
        assert.equal(c.closeInfo, null);
        c.send('still here');
        assert.equal(await c.next(), 'still here');
        assert.equal(c.socket.readyState, 'open');
      } finally {
        c.close();
      }
    });
  });
}

describe('engine.io-client, default transports, sending during the upgrade', () => {
  test('messages sent right after open (while upgrading) all come back in order', T, async () => {
    const c = new Client('default');
    try {
      await c.opened;
      const sent = [];
      for (let i = 0; i < 30; i++) sent.push(i % 7 === 6 ? Buffer.from([i]) : `early ${i}`);
      for (const m of sent) c.send(m);
      const got = [];
      for (let i = 0; i < sent.length; i++) got.push(normalize(await c.next()));
      assert.deepEqual(got, sent);
      await c.upgraded;
      assert.equal(c.socket.transport.name, 'websocket');
      c.send('after upgrade');
      assert.equal(await c.next(), 'after upgrade');
    } finally {
      c.close();
    }
  });
});

describe('engine.io-client, close', () => {
  /** Resolves the time when a POST with `sid` gets 400 "Session ID unknown" (code 1). */
  async function waitSessionGone(sid, timeoutMs = 1500) {
    const url = `${server.url}/engine.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`;
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      const res = await fetch(url, { method: 'POST', body: '4x', signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      last = `${res.status} ${body}`;
      if (res.status === 400) {
        let code;
        try {
          code = JSON.parse(body).code;
        } catch {
          code = undefined;
        }
        if (code === 1) return;
      }
      await sleep(50);
    }
    throw new Error(`session ${sid} still known ${timeoutMs} ms after the client closed (last answer: ${last})`);
  }

  for (const mode of ['polling', 'websocket']) {
    test(`${mode}: closing the client ends the session on the server`, T, async () => {
      const c = new Client(mode);
      try {
        await c.ready();
        const sid = c.socket.id;
        c.send('before close');
        assert.equal(await c.next(), 'before close');
        const closed = waitFor(c.socket, 'close', 2000);
        c.close();
        await closed;
        // Give the client's close (POST "1" or WebSocket close) time to arrive
        // before probing, so that probes cannot overlap with it.
        await sleep(100);
        await waitSessionGone(sid);
      } finally {
        c.close();
      }
    });
  }
});
