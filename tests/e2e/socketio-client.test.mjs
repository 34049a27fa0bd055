// Interoperability with the official socket.io-client (v4.8) against the
// protocol-echo example ("/" and "/custom": auth, message-back,
// message-with-ack, emit-with-ack) and the socketio-test-server ("/auth"
// middleware, "/rooms" rooms, broadcasts, acks, flood).

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { io, Manager } from 'socket.io-client';
import {
  startServer,
  waitFor,
  freePort,
  printLogIfFailed,
  protocolEchoBin,
  socketioTestServerBin,
} from './lib/server.mjs';
import { openSioWs, sendSio, sioConnect, nextSioText } from './lib/sio.mjs';

const T = { timeout: 20000 };

const MODES = {
  polling: { transports: ['polling'] },
  websocket: { transports: ['websocket'] },
  default: {},
};
const EXPECTED_TRANSPORT = { polling: 'polling', websocket: 'websocket', default: 'websocket' };

let echo; // protocol-echo
let ts; // socketio-test-server
/** Every server alive, for the logs of failed tests. */
const servers = new Set();
/** Sockets and Managers of the running test; closed in afterEach. */
const opened = new Set();
/** Raw WsClients of the running test; terminated in afterEach. */
const rawClients = new Set();

before(async () => {
  echo = await startServer({ bin: protocolEchoBin });
  servers.add(echo);
  ts = await startServer({ bin: socketioTestServerBin });
  servers.add(ts);
});

after(async () => {
  for (const s of [echo, ts]) {
    if (!s) continue;
    servers.delete(s);
    const { code, signal } = await s.stop();
    assert.equal(signal, null, `${s.bin} must exit by itself after SIGTERM`);
    assert.equal(code, 0, `${s.bin} must exit with code 0 after SIGTERM`);
  }
});

afterEach((t) => {
  for (const x of opened) {
    if (x instanceof Manager) x.disconnect();
    else {
      x.disconnect();
      x.io.disconnect();
    }
  }
  opened.clear();
  for (const c of rawClients) c.terminate();
  rawClients.clear();
  printLogIfFailed(t, ...servers);
  // Servers of a single test (already stopped by it) are forgotten once their log had its chance.
  for (const s of servers) if (s !== echo && s !== ts) servers.delete(s);
});

/** A socket.io-client socket (forceNew), closed after the test. */
function client(url, opts = {}) {
  const socket = io(url, { forceNew: true, ...opts });
  opened.add(socket);
  return socket;
}

/** Resolves on 'connect'; rejects on 'connect_error' (with its message and data) or after timeoutMs. */
function waitConnected(socket, timeoutMs = 5000) {
  if (socket.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (fn) => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      fn();
    };
    const onConnect = () => done(resolve);
    const onError = (err) =>
      done(() => reject(new Error(`connect_error on ${socket.nsp}: ${err.message} ${JSON.stringify(err.data)}`)));
    const timer = setTimeout(
      () => done(() => reject(new Error(`${socket.nsp} not connected within ${timeoutMs} ms`))),
      timeoutMs,
    );
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

/** Records every event a socket receives (registered before it connects, so none is missed). */
class Recorder {
  constructor(socket) {
    this.socket = socket;
    this.events = [];
    this.waiters = new Set();
    socket.onAny((event, ...args) => {
      this.events.push({ event, args });
      for (const w of [...this.waiters]) w();
    });
  }

  /** The argument lists of every `event` received so far. */
  of(event) {
    return this.events.filter((e) => e.event === event).map((e) => e.args);
  }

  /** Resolves when predicate() holds (checked now and after every event); rejects after timeoutMs. */
  until(predicate, timeoutMs = 3000, what = 'condition') {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const seen = this.events.map((e) => e.event);
        const where = `on ${this.socket.nsp} (events so far: ${seen.join(',')})`;
        reject(new Error(`${what}: not within ${timeoutMs} ms ${where}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  /** The arguments of the n-th (1-based) `event`, waiting for it. */
  async nth(event, n = 1, timeoutMs = 3000) {
    await this.until(() => this.of(event).length >= n, timeoutMs, `event '${event}' #${n}`);
    return this.of(event)[n - 1];
  }
}

/** A client with a Recorder, connected. */
async function connected(url, opts = {}) {
  const socket = client(url, opts);
  const rec = new Recorder(socket);
  await waitConnected(socket);
  return { socket, rec };
}

/** Ack arguments of an emit, all of them (emitWithAck resolves the first one only). */
function emitAck(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(3000).emit(event, ...args, (err, ...ackArgs) => (err ? reject(err) : resolve(ackArgs)));
  });
}

// ---------------------------------------------------------------------------

for (const mode of Object.keys(MODES)) {
  describe(`protocol-echo, transports: ${mode}`, () => {
    test('connects and ends on the expected transport', T, async () => {
      const socket = client(echo.url, MODES[mode]);
      const upgraded = mode === 'default' ? waitFor(socket.io.engine, 'upgrade', 5000) : null;
      upgraded?.catch(() => {});
      await waitConnected(socket);
      if (mode === 'default') {
        await upgraded;
        assert.equal(socket.io.engine.transport.name, 'websocket');
      }
      const [back] = await waitForEcho(socket, 'after connect');
      assert.equal(back, 'after connect');
      assert.equal(socket.io.engine.transport.name, EXPECTED_TRANSPORT[mode]);
      assert.equal(typeof socket.id, 'string');
      assert.notEqual(socket.id, socket.io.engine.id, 'the Socket.IO id must differ from the Engine.IO sid');
    });

    test('without auth, the auth event carries {}', T, async () => {
      const socket = client(echo.url, MODES[mode]);
      const rec = new Recorder(socket);
      await waitConnected(socket);
      assert.deepEqual(await rec.nth('auth'), [{}]);
    });

    test('the auth option is the CONNECT payload, echoed in the auth event', T, async () => {
      const socket = client(echo.url, { ...MODES[mode], auth: { token: 'x' } });
      const rec = new Recorder(socket);
      await waitConnected(socket);
      assert.deepEqual(await rec.nth('auth'), [{ token: 'x' }]);
    });

    test('message is echoed as message-back with all its arguments', T, async () => {
      const { socket, rec } = await connected(echo.url, MODES[mode]);
      socket.emit('message', 1, '2', { 3: [true] }, null, 'ünïcødé ☃');
      assert.deepEqual(await rec.nth('message-back'), [1, '2', { 3: [true] }, null, 'ünïcødé ☃']);
    });

    test('client emit with ack: emitWithAck and the callback form', T, async () => {
      const { socket } = await connected(echo.url, MODES[mode]);
      assert.equal(await socket.timeout(2000).emitWithAck('message-with-ack', 1, 'a'), 1);
      assert.deepEqual(await emitAck(socket, 'message-with-ack', 1, 'a', { b: [2] }), [1, 'a', { b: [2] }]);
    });

    test('server emit with ack: the client ack comes back in a new event', T, async () => {
      const { socket, rec } = await connected(echo.url, MODES[mode]);
      const calls = [];
      socket.on('emit-with-ack', (...args) => {
        calls.push(args);
        const last = args[args.length - 1];
        if (typeof last === 'function') last('ack-arg', { n: 2 });
      });
      socket.emit('emit-with-ack', 1, '2');
      await rec.nth('emit-with-ack', 2);
      assert.equal(calls.length, 2);
      assert.deepEqual(calls[0].slice(0, -1), [1, '2']);
      assert.equal(typeof calls[0][2], 'function', 'the first emit-with-ack must ask for an ack');
      assert.deepEqual(calls[1], ['ack-arg', { n: 2 }], 'the second one carries the ack arguments, no ack');
    });

    test('binary in both directions: events, client acks and server acks', T, async () => {
      const { socket, rec } = await connected(echo.url, MODES[mode]);
      const a = Buffer.from([0, 1, 2, 255]);
      const b = Buffer.from('binary ☃');
      socket.emit('message', a, { nested: [b], text: 't' });
      const back = await rec.nth('message-back');
      assert.ok(Buffer.isBuffer(back[0]), 'binary must come back as a Buffer');
      assert.deepEqual(back, [a, { nested: [b], text: 't' }]);

      assert.deepEqual(await emitAck(socket, 'message-with-ack', 'x', b, [a]), ['x', b, [a]]);

      // Server emit with ack, answered by the client with binary.
      socket.on('emit-with-ack', (...args) => {
        const last = args[args.length - 1];
        if (typeof last === 'function') last(Buffer.from([7, 7]), 'y');
      });
      socket.emit('emit-with-ack', Buffer.from([1]));
      const first = await rec.nth('emit-with-ack', 1);
      assert.deepEqual(first[0], Buffer.from([1]));
      assert.deepEqual(await rec.nth('emit-with-ack', 2), [Buffer.from([7, 7]), 'y']);
    });
  });
}

/** Emits "message" with `tag` and resolves the message-back arguments. */
async function waitForEcho(socket, tag) {
  const back = waitFor(socket, 'message-back', 3000);
  socket.emit('message', tag);
  return back;
}

describe('one Manager, several namespaces', () => {
  test('"/" and "/custom" share one Engine.IO connection', T, async () => {
    const manager = new Manager(echo.url, { forceNew: true });
    opened.add(manager);
    let engineOpens = 0;
    manager.on('open', () => engineOpens++);
    const main = manager.socket('/');
    const custom = manager.socket('/custom', { auth: { token: 'c' } });
    const mainRec = new Recorder(main);
    const customRec = new Recorder(custom);
    await Promise.all([waitConnected(main), waitConnected(custom)]);

    assert.deepEqual(await mainRec.nth('auth'), [{}]);
    assert.deepEqual(await customRec.nth('auth'), [{ token: 'c' }]);
    assert.equal(main.io, custom.io);
    assert.equal(engineOpens, 1, 'only one Engine.IO connection must have been opened');
    const engineId = manager.engine.id;
    assert.notEqual(main.id, custom.id);

    // Each namespace gets its own answers only. Packets on the one connection
    // are ordered, so when "/" gets its echo, /custom's is already in.
    custom.emit('message', 'to custom');
    main.emit('message', 'to main');
    assert.deepEqual(await mainRec.nth('message-back'), ['to main']);
    assert.deepEqual(customRec.of('message-back'), [['to custom']]);
    assert.deepEqual(mainRec.of('message-back'), [['to main']]);

    // Leaving /custom keeps "/" and the same Engine.IO connection.
    custom.disconnect();
    assert.deepEqual(await emitAck(main, 'message-with-ack', 'after'), ['after']);
    assert.equal(manager.engine.id, engineId);
    assert.equal(engineOpens, 1);
  });
});

describe('socketio-test-server /auth middleware', () => {
  const url = () => `${ts.url}/auth`;

  for (const mode of Object.keys(MODES)) {
    test(`token "good" connects and gets welcome (${mode})`, T, async () => {
      const { rec } = await connected(url(), { ...MODES[mode], auth: { token: 'good' } });
      assert.deepEqual(await rec.nth('welcome'), [{ token: 'good' }]);
    });
  }

  test('token "slow-good" (accepted later, from another thread) connects', T, async () => {
    const { rec } = await connected(url(), { auth: { token: 'slow-good' } });
    assert.deepEqual(await rec.nth('welcome'), [{ token: 'slow-good' }]);
  });

  for (const mode of ['polling', 'websocket']) {
    test(`Authorization: Bearer header is accepted (${mode})`, T, async () => {
      const { rec } = await connected(url(), { ...MODES[mode], extraHeaders: { Authorization: 'Bearer good' } });
      assert.deepEqual(await rec.nth('welcome'), [{ token: 'good' }]);
    });
  }

  /** Connects with `opts` and resolves the connect_error (no 'connect' may come). */
  async function refused(opts) {
    const socket = client(url(), opts);
    const rec = new Recorder(socket);
    let connects = 0;
    socket.on('connect', () => connects++);
    const [err] = await waitFor(socket, 'connect_error', 5000);
    assert.equal(connects, 0);
    assert.equal(socket.connected, false);
    assert.deepEqual(rec.of('welcome'), []);
    return err;
  }

  test('token "forbidden" is refused with message "forbidden" and data {code:403}', T, async () => {
    const err = await refused({ auth: { token: 'forbidden' } });
    assert.equal(err.message, 'forbidden');
    assert.deepEqual(err.data, { code: 403 });
  });

  test('a garbage token is refused with "unauthorized" and data {code:401}', T, async () => {
    const err = await refused({ auth: { token: 'garbage!' } });
    assert.equal(err.message, 'unauthorized');
    assert.deepEqual(err.data, { code: 401 });
  });

  test('no token at all is refused with "unauthorized" and data {code:401}', T, async () => {
    const err = await refused({ transports: ['websocket'] });
    assert.equal(err.message, 'unauthorized');
    assert.deepEqual(err.data, { code: 401 });
  });

  test('a refused namespace leaves the Engine.IO connection and its other namespaces alone', T, async () => {
    const manager = new Manager(ts.url, { forceNew: true });
    opened.add(manager);
    // /rooms first, so that the Manager keeps its connection when /auth is refused.
    const rooms = manager.socket('/rooms');
    await waitConnected(rooms);
    const engineId = manager.engine.id;
    const bad = manager.socket('/auth', { auth: { token: 'forbidden' } });
    const [err] = await waitFor(bad, 'connect_error', 5000);
    assert.equal(err.message, 'forbidden');
    assert.deepEqual(await rooms.timeout(2000).emitWithAck('join', 'x'), { ok: true });
    assert.equal(manager.engine.id, engineId, 'the refusal must not have closed the Engine.IO connection');
    assert.ok(rooms.connected);
  });
});

describe('socketio-test-server /rooms', () => {
  const url = () => `${ts.url}/rooms`;
  const modeNames = Object.keys(MODES);

  /** n connected clients on /rooms, cycling through the transport modes. */
  async function roomClients(n) {
    const list = [];
    for (let i = 0; i < n; i++) {
      const socket = client(url(), MODES[modeNames[i % modeNames.length]]);
      list.push({ socket, rec: new Recorder(socket), name: String.fromCharCode(65 + i) });
    }
    await Promise.all(list.map((c) => waitConnected(c.socket)));
    return list;
  }

  async function join(c, room) {
    assert.deepEqual(await c.socket.timeout(2000).emitWithAck('join', room), { ok: true });
  }

  async function leave(c, room) {
    assert.deepEqual(await c.socket.timeout(2000).emitWithAck('leave', room), { ok: true });
  }

  async function broadcast(via, spec) {
    assert.deepEqual(await via.socket.timeout(2000).emitWithAck('broadcast', spec), { ok: true });
  }

  let markers = 0;
  /**
   * A namespace-wide "marker" broadcast that every client must receive. Sent
   * after earlier broadcasts were acknowledged, so once a client has it, it has
   * everything broadcast to it before.
   */
  async function settle(clients) {
    const id = `m${++markers}`;
    await broadcast(clients[0], { rooms: [], event: 'marker', args: [id] });
    await Promise.all(
      clients.map((c) =>
        c.rec.until(() => c.rec.of('marker').some((a) => a[0] === id), 3000, `marker ${id} at ${c.name}`),
      ),
    );
  }

  /** { A: [...news args], B: ... } */
  function news(clients) {
    return Object.fromEntries(clients.map((c) => [c.name, c.rec.of('news').map((a) => a[0])]));
  }

  test('"rooms" lists the socket id and the joined rooms', T, async () => {
    const [a] = await roomClients(1);
    await join(a, 'r1');
    await join(a, 'r2');
    let rooms = await a.socket.timeout(2000).emitWithAck('rooms');
    assert.deepEqual([...rooms].sort(), [a.socket.id, 'r1', 'r2'].sort());
    await leave(a, 'r1');
    rooms = await a.socket.timeout(2000).emitWithAck('rooms');
    assert.deepEqual([...rooms].sort(), [a.socket.id, 'r2'].sort());
  });

  test('a broadcast to a room reaches its members only, also after one leaves', T, async () => {
    const clients = await roomClients(3);
    const [a, b, c] = clients;
    await join(a, 'r1');
    await join(b, 'r1');
    await join(c, 'r2');
    await broadcast(c, { rooms: ['r1'], event: 'news', args: ['first', { n: 1 }] });
    await settle(clients);
    assert.deepEqual(news(clients), { A: ['first'], B: ['first'], C: [] });
    assert.deepEqual(a.rec.of('news'), [['first', { n: 1 }]]);

    await leave(b, 'r1');
    await broadcast(c, { rooms: ['r1'], event: 'news', args: ['second'] });
    await settle(clients);
    assert.deepEqual(news(clients), { A: ['first', 'second'], B: ['first'], C: [] });
  });

  test('a broadcast to several rooms reaches each member once, even one in several rooms', T, async () => {
    const clients = await roomClients(4);
    const [a, b, c] = clients; // D joins nothing
    await join(a, 'r1');
    await join(b, 'r1');
    await join(b, 'r2');
    await join(c, 'r2');
    await broadcast(a, { rooms: ['r1', 'r2'], event: 'news', args: ['both'] });
    await settle(clients);
    assert.deepEqual(news(clients), { A: ['both'], B: ['both'], C: ['both'], D: [] });
  });

  test('except: a broadcast to r1 except r2 skips those in both', T, async () => {
    const clients = await roomClients(3);
    const [a, b, c] = clients;
    await join(a, 'r1');
    await join(b, 'r1');
    await join(b, 'r2');
    await join(c, 'r2');
    await broadcast(c, { rooms: ['r1'], except: ['r2'], event: 'news', args: ['except'] });
    await settle(clients);
    assert.deepEqual(news(clients), { A: ['except'], B: [], C: [] });

    // Namespace-wide except r2.
    await broadcast(c, { rooms: [], except: ['r2'], event: 'news', args: ['all-but-r2'] });
    await settle(clients);
    assert.deepEqual(news(clients), { A: ['except', 'all-but-r2'], B: [], C: [] });
  });

  test('a namespace-wide broadcast reaches every client once', T, async () => {
    const clients = await roomClients(3);
    await join(clients[0], 'r1');
    await broadcast(clients[1], { rooms: [], event: 'news', args: ['everyone', [1, 2]] });
    await settle(clients);
    assert.deepEqual(news(clients), { A: ['everyone'], B: ['everyone'], C: ['everyone'] });
    for (const c of clients) assert.deepEqual(c.rec.of('news'), [['everyone', [1, 2]]]);
  });

  test('disconnect-me: the client sees "io server disconnect" and does not reconnect', T, async () => {
    const [a] = await roomClients(1);
    const gone = waitFor(a.socket, 'disconnect', 3000);
    a.socket.emit('disconnect-me');
    const [reason] = await gone;
    assert.equal(reason, 'io server disconnect');
    assert.equal(a.socket.connected, false);
    assert.equal(a.socket.active, false, 'a server-side disconnect must not be retried');
  });

  for (const mode of modeNames) {
    test(`ask: the client's ack reaches the server (${mode})`, T, async () => {
      const { socket, rec } = await connected(url(), MODES[mode]);
      const questions = [];
      socket.on('question', (q, ack) => {
        questions.push(q);
        ack('forty-two', { n: 42 });
      });
      socket.emit('ask');
      const [answer] = await rec.nth('answer');
      assert.deepEqual(questions, ['what?']);
      assert.deepEqual(answer, { timedOut: false, args: ['forty-two', { n: 42 }] });
    });

    test(`binary ack from the server (${mode})`, T, async () => {
      const { socket } = await connected(url(), MODES[mode]);
      const got = await socket.timeout(2000).emitWithAck('binary');
      assert.ok(Buffer.isBuffer(got), `expected a Buffer, got ${typeof got}`);
      assert.deepEqual(got, Buffer.from([1, 2, 3]));
    });
  }

  test('ask: a client that does not ack makes the server time out after about 500 ms', T, async () => {
    const { socket, rec } = await connected(url(), MODES.websocket);
    let askedAt = 0;
    socket.on('question', () => {
      askedAt = Date.now();
    });
    socket.emit('ask');
    const [answer] = await rec.nth('answer', 1, 3000);
    const elapsed = Date.now() - askedAt;
    assert.deepEqual(answer, { timedOut: true, args: [] });
    assert.ok(askedAt > 0, 'the question must have arrived');
    assert.ok(elapsed >= 400, `timed out ${elapsed} ms after the question, before the 500 ms timeout`);
  });

  test('ask: an ack that comes after the timeout is ignored', T, async () => {
    const { socket, rec } = await connected(url(), MODES.websocket);
    let lateAckSent;
    const lateAck = new Promise((resolve) => {
      lateAckSent = resolve;
    });
    let first = true;
    socket.on('question', (q, ack) => {
      if (first) {
        first = false;
        // Answered only once the server has given up (it says so in "answer").
        rec.nth('answer', 1, 3000).then(() => {
          ack('too late');
          lateAckSent();
        }, () => {});
      } else {
        ack('in time');
      }
    });
    socket.emit('ask');
    assert.deepEqual(await rec.nth('answer', 1), [{ timedOut: true, args: [] }]);
    await lateAck;
    socket.emit('ask');
    assert.deepEqual(await rec.nth('answer', 2), [{ timedOut: false, args: ['in time'] }]);
    assert.equal(rec.of('answer').length, 2);
  });
});

describe('automatic reconnection', () => {
  test('the client reconnects after the server restarts on the same port, and echoes', { timeout: 40000 }, async () => {
    const port = await freePort();
    let srv = await startServer({ bin: protocolEchoBin, port });
    servers.add(srv);
    try {
      const socket = client(srv.url, { reconnectionDelay: 100, reconnectionDelayMax: 200 });
      const rec = new Recorder(socket);
      let connects = 0;
      socket.on('connect', () => connects++);
      await waitConnected(socket);
      assert.deepEqual(await emitAck(socket, 'message-with-ack', 'before'), ['before']);
      const firstId = socket.id;

      const disconnected = waitFor(socket, 'disconnect', 10000);
      const { code } = await srv.stop();
      assert.equal(code, 0);
      const [reason] = await disconnected;
      assert.notEqual(reason, 'io server disconnect', 'a server shutdown must not look like a deliberate disconnect');
      assert.notEqual(reason, 'io client disconnect');

      const reconnected = waitFor(socket, 'connect', 15000);
      srv = await startServer({ bin: protocolEchoBin, port });
      servers.add(srv);
      await reconnected;
      assert.equal(connects, 2);
      assert.ok(socket.connected);
      assert.notEqual(socket.id, firstId, 'a new server gives a new socket id');
      assert.deepEqual(await emitAck(socket, 'message-with-ack', 'after'), ['after']);
      socket.emit('message', 'echo after restart');
      assert.deepEqual(await rec.nth('message-back'), ['echo after restart']);
      assert.equal(rec.of('auth').length, 2, 'the auth event comes with each connection');
    } finally {
      for (const x of [...opened]) {
        x.disconnect();
        if (!(x instanceof Manager)) x.io.disconnect();
      }
      opened.clear();
      const { code } = await srv.stop();
      assert.equal(code, 0, 'restarted server must exit with code 0');
    }
  });
});

/** The numbers of a /proc/sys/net/ipv4 setting, or `fallback` where it cannot be read. */
function tcpSetting(name, fallback) {
  try {
    return readFileSync(`/proc/sys/net/ipv4/${name}`, 'utf8').trim().split(/\s+/).map(Number);
  } catch {
    return fallback;
  }
}

describe('a client that stops reading', () => {
  const MAX_BUFFERED = 262144;
  const SIZE = 8192;
  // Sent in bursts well under the bound, each received by the healthy clients
  // before the next. The server counts a burst as queued until its write's
  // completion handler runs, which may come after the client has read the
  // burst and asked for the next one (seen under the sanitizers: a healthy
  // client dropped with 30 frames, 258 KB, counted): two bursts fit the bound.
  const BURST = 10;
  // The kernel buffers what the server writes before the server's own queue
  // grows: up to the largest send buffer on the server side (autotuned up to
  // tcp_wmem's maximum, 4 MiB by default) plus the stalled reader's receive
  // buffer. Send half as much again as all of that and the bound together.
  const [, , wmemMax] = tcpSetting('tcp_wmem', [4096, 16384, 4194304]);
  const [, rmemDefault] = tcpSetting('tcp_rmem', [4096, 131072, 6291456]);
  const COUNT = Math.min(
    Math.ceil(((wmemMax + rmemDefault + MAX_BUFFERED) * 1.5) / SIZE / BURST) * BURST,
    8000, // 64 MiB: a bound on the test's own work
  );

  test(`is closed by the server while the healthy clients get all ${COUNT} messages`, { timeout: 90000 }, async () => {
    const srv = await startServer({ bin: socketioTestServerBin, env: { MAX_BUFFERED_BYTES: String(MAX_BUFFERED) } });
    servers.add(srv);
    try {
      const roomsUrl = `${srv.url}/rooms`;
      const healthy = [
        await connected(roomsUrl, MODES.websocket),
        await connected(roomsUrl, MODES.websocket),
      ];
      for (const h of healthy) {
        assert.deepEqual(await h.socket.timeout(2000).emitWithAck('join', 'big'), { ok: true });
      }

      const { client: raw } = await openSioWs(srv.url);
      rawClients.add(raw);
      await sioConnect(raw, '/rooms');
      sendSio(raw, '2/rooms,1["join","big"]');
      assert.equal(await nextSioText(raw), '3/rooms,1[{"ok":true}]');
      raw.ws._socket.pause();

      const [flooder] = healthy;
      for (let sent = 0; sent < COUNT; sent += BURST) {
        assert.deepEqual(
          await flooder.socket.timeout(5000).emitWithAck('flood', { room: 'big', count: BURST, size: SIZE }),
          { ok: true },
        );
        await Promise.all(
          healthy.map((h, i) =>
            h.rec.until(
              () => h.rec.of('flood').length >= sent + BURST,
              10000,
              `healthy client ${i}: ${sent + BURST} of ${COUNT} floods`,
            ),
          ),
        );
      }
      for (const [i, h] of healthy.entries()) {
        const floods = h.rec.of('flood');
        assert.equal(floods.length, COUNT, `healthy client ${i} must get exactly ${COUNT} messages`);
        // Indices restart at 0 with each burst.
        assert.deepEqual(
          floods.map((f) => f[0]),
          Array.from({ length: COUNT }, (_, k) => k % BURST),
        );
        assert.ok(floods.every((f) => typeof f[1] === 'string' && f[1].length === SIZE));
        assert.ok(h.socket.connected, `healthy client ${i} must still be connected`);
      }

      // The stalled connection was dropped: once it reads again, it sees the end.
      raw.ws._socket.resume();
      await raw.waitClose(5000);
      const floodsSeen = raw.queue.filter((m) => !m.isBinary && m.data.startsWith('42/rooms,["flood"')).length;
      assert.ok(floodsSeen < COUNT, `the stalled client got all ${floodsSeen} messages: it was never dropped`);

      // The healthy ones go on.
      await broadcastVia(flooder, { rooms: ['big'], event: 'after', args: ['still here'] });
      for (const h of healthy) assert.deepEqual(await h.rec.nth('after', 1, 3000), ['still here']);
    } finally {
      for (const c of rawClients) c.terminate();
      rawClients.clear();
      for (const x of [...opened]) {
        x.disconnect();
        if (!(x instanceof Manager)) x.io.disconnect();
      }
      opened.clear();
      const { code } = await srv.stop();
      assert.equal(code, 0, 'server must exit with code 0 after SIGTERM');
    }
  });
});

async function broadcastVia(c, spec) {
  assert.deepEqual(await c.socket.timeout(2000).emitWithAck('broadcast', spec), { ok: true });
}
