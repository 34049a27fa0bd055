// Hostile input end to end (issue 8): every known attack on reportd, run against the real
// binary by a client with no account (or one account), asserting the answer (status, JSON
// error body, close of the connection or session), that the server's RSS grows less than the
// bound stated in the test's name while the attack runs, and that the server still serves a
// normal client afterwards (/healthz and the official socket.io-client on /ws/internal joining
// a report after each attack, a login after each group). The attacks that cost tens of MiB
// when they succeed get a reportd of their own, so that memory one leaves behind cannot hide
// what the next costs; the small ones share one. Loopback only; every loop is bounded in
// count and time.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { printLogIfFailed, sleep, waitFor } from './lib/server.mjs';
import { sanitizer } from './lib/sanitizer.mjs';
import { RawHttpConnection, WsClient, attemptWs, eioUrl, wsBase, parseErrorBody, SEP } from './lib/eio.mjs';
import {
  SIO_PATH,
  connectPacket,
  openSioWs,
  sendSio,
  nextSioText,
  sioPollingClient,
  pollPackets,
} from './lib/sio.mjs';
import { stopCleanly, startReportd, api, login, connectLive, closeLive, emitAck, LIVE_NSP } from './lib/reportd.mjs';
import { watchRss, MiB } from './lib/rss.mjs';

const T = { timeout: 30000 };

const USERS = [
  { username: 'op1', role: 'operator', internal: true },
  { username: 'alice', role: 'citizen' },
];

/** Source addresses of attackers, so that per-address limits never touch the normal client (127.0.0.1). */
const CAP_ATTACKER = '127.0.0.2';
const LOGIN_ATTACKER = '127.0.0.3';

const HOST = 'Host: 127.0.0.1\r\n';

/**
 * A login that gets as far as the password costs one argon2id verification with 64 MiB of
 * memory (unknown users too, so that they take as long). Attacks whose answer needs one, one
 * at a time, are allowed these 64 MiB on top of a small bound.
 */
const WITH_HASH_MIB = 64 + 16;

/**
 * Starts a reportd with users op1 and alice and one report of alice's. Resolves
 * { srv, url, port, tokens: { op1, alice }, reportId }. Tokens come from `reportd token`: a
 * login costs a password hash (64 MiB, a few hundred ms), so the one login that shows that
 * logins still work comes once, when the server is done with (finishReportd).
 */
async function startTarget() {
  const srv = await startReportd({ users: USERS });
  const ctx = { srv, url: srv.url, port: srv.port, tokens: { op1: srv.token('op1'), alice: srv.token('alice') } };
  const r = await api(ctx.url, 'POST', '/api/reports', {
    token: ctx.tokens.alice,
    body: { title: 'Pothole', description: 'A deep pothole on Via Appia' },
  });
  assert.equal(r.status, 201, `create report: ${r.text}`);
  ctx.reportId = r.json.id;
  return ctx;
}

/** After the attacks on `ctx`: a login still works, and SIGTERM ends the server cleanly. */
async function finishTarget(ctx) {
  const loginError = await login(ctx.url, 'op1', ctx.srv.users.op1.password).then(() => null, (err) => err);
  await stopCleanly(ctx.srv, ', attacks notwithstanding');
  if (loginError) throw new Error(`after the attacks, a login fails: ${loginError.message}`);
}

/** A reportd (startTarget) for the tests of the enclosing describe; returns the context before() fills in. */
function sharedTarget() {
  const ctx = {};
  before(async () => Object.assign(ctx, await startTarget()));
  after(async () => {
    if (ctx.srv) await finishTarget(ctx);
  });
  afterEach((t) => printLogIfFailed(t, ctx.srv));
  return ctx;
}

/**
 * Runs `fn(ctx)` against a reportd of its own: for attacks that cost tens of MiB where they
 * succeed, whose memory, once freed, a later attack on the same server could reuse unseen.
 */
async function onOwnTarget(fn) {
  const ctx = await startTarget();
  try {
    await fn(ctx);
  } catch (err) {
    ctx.srv.printLog('server output of the failed test');
    await finishTarget(ctx).catch(() => {});
    throw err;
  }
  await finishTarget(ctx);
}

/** What a normal client does: /healthz, and join_report on /ws/internal with socket.io-client. */
async function assertServesNormalClient(ctx) {
  const health = await api(ctx.url, 'GET', '/healthz');
  assert.equal(health.status, 200, `after the attack, /healthz answered ${health.status} ${health.text}`);
  const socket = await connectLive(ctx.url, { auth: { token: ctx.tokens.op1 } });
  try {
    const ack = await emitAck(socket, 'join_report', { reportId: ctx.reportId });
    assert.equal(ack?.ok, true, `after the attack, join_report answered ${JSON.stringify(ack)}`);
  } finally {
    closeLive(socket);
  }
}

/**
 * Runs `attack` while watching the server's RSS, reports the numbers as a test diagnostic,
 * asserts that the peak grew by less than `boundMiB` (not under a sanitizer: its allocator
 * holds freed memory in quarantine and adds shadow memory), then that a normal client is
 * still served.
 */
async function attackWithin(t, ctx, boundMiB, attack) {
  const watch = watchRss(ctx.srv.proc.pid);
  let rss;
  try {
    await attack();
  } finally {
    rss = watch.stop();
    t.diagnostic(`${rss.text}; bound +${boundMiB} MiB`);
  }
  if (!sanitizer) {
    assert.ok(rss.growth < boundMiB * MiB, `RSS grew by more than ${boundMiB} MiB during the attack: ${rss.text}`);
  }
  await assertServesNormalClient(ctx);
}

/** Runs `task(i)` for i in [0, count) with at most `width` at once; rejects at the first failure. */
async function inPool(count, width, task) {
  let next = 0;
  let failed = null;
  const worker = async () => {
    while (next < count && !failed) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
  if (failed) throw failed;
}

/** Asserts an HTTP-level error answer with a JSON body: {"error":{code,message}} or Engine.IO's {code,message}. */
function assertJsonError(res, status, what) {
  const text = res.body.toString('utf8');
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.statusLine} ${text.slice(0, 200)}`);
  assert.match(String(res.headers['content-type']), /^application\/json/i, `${what}: Content-Type of the error`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`${what}: error body is not JSON: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const err = body.error ?? body;
  assert.equal(typeof err.message, 'string', `${what}: error message in ${text}`);
  assert.ok(['string', 'number'].includes(typeof err.code), `${what}: error code in ${text}`);
}

/** One HTTP request over a fresh raw connection (from `localAddress`); resolves the parsed response. */
async function rawRequest(port, bytes, { localAddress, timeoutMs = 5000 } = {}) {
  const conn = new RawHttpConnection(port, { localAddress });
  try {
    await conn.connected;
    await conn.write(bytes);
    return await conn.readResponse(timeoutMs);
  } finally {
    conn.destroy();
  }
}

/** A JSON POST request, as bytes for a raw connection. */
function jsonPost(path, value, { contentType = 'application/json' } = {}) {
  const body = Buffer.from(JSON.stringify(value), 'utf8');
  const head = `POST ${path} HTTP/1.1\r\n${HOST}Content-Type: ${contentType}\r\nContent-Length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Writes `buf`; resolves 'ok', 'error' (the connection is gone) or 'timeout' (the server stopped reading). */
function writeWithin(socket, buf, timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    socket.write(buf, (err) => {
      clearTimeout(timer);
      resolve(err ? 'error' : 'ok');
    });
  });
}

/**
 * Writes `head`, then `filler` again and again, each write waiting for the previous one to be
 * taken by the kernel, until the server closes the connection or `maxBytes` or `maxMs` is
 * reached: an attacker who keeps sending whatever the server answers. Resolves the bytes sent.
 */
async function streamUntilClosed(conn, head, filler, { maxBytes, maxMs }) {
  await conn.connected;
  const deadline = Date.now() + maxMs;
  let sent = 0;
  let outcome = await writeWithin(conn.socket, head, maxMs);
  while (outcome === 'ok' && !conn.ended && sent < maxBytes && Date.now() < deadline) {
    outcome = await writeWithin(conn.socket, filler, Math.max(1, deadline - Date.now()));
    if (outcome === 'ok') sent += filler.length;
  }
  return sent;
}

/**
 * Streams `filler` after `head` on `connections` connections at once and asserts for each the
 * answer `status` with a JSON error body, then the close of the connection. Reports how much
 * the attacker got to send as a diagnostic of test `t`.
 */
async function streamAttack(t, ctx, { connections, head, filler, status, what, maxBytes, maxMs }) {
  const conns = Array.from({ length: connections }, () => new RawHttpConnection(ctx.port));
  try {
    const sent = await Promise.all(conns.map((c) => streamUntilClosed(c, Buffer.from(head, 'latin1'), filler, { maxBytes, maxMs })));
    t.diagnostic(`${what}: MiB sent per connection until the server closed it: ${sent.map((n) => (n / MiB).toFixed(2)).join(', ')}`);
    for (const [i, conn] of conns.entries()) {
      const res = await conn.readResponse(3000).catch((err) => {
        throw new Error(`${what}, connection ${i} (${(sent[i] / MiB).toFixed(1)} MiB sent): ${err.message}`);
      });
      assertJsonError(res, status, `${what}, connection ${i}`);
      await conn.waitClose(3000).catch(() => assert.fail(`${what}, connection ${i}: the server answered ${status} but did not close`));
    }
  } finally {
    for (const c of conns) c.destroy();
  }
}

describe('1. the HTTP read buffer is bounded', () => {
  const STREAM = { connections: 4, maxBytes: 32 * MiB, maxMs: 3000 };

  test('4 connections each streaming 32 MiB of chunk extension (no CRLF) get 400 and are closed (RSS grows < 16 MiB)', T, (t) =>
    onOwnTarget((own) =>
      attackWithin(t, own, 16, () =>
        streamAttack(t, own, {
          ...STREAM,
          head: `POST /api/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1;a=`,
          filler: Buffer.alloc(256 * 1024, 'a'),
          status: 400,
          what: 'chunk-size line with a huge extension',
        }),
      ),
    ));

  test('4 connections each streaming 32 MiB of trailer fields get 431 and are closed (RSS grows < 16 MiB)', T, (t) => {
    const line = `X-Pad: ${'a'.repeat(1016)}\r\n`; // 1 KiB per trailer field
    return onOwnTarget((own) =>
      attackWithin(t, own, 16, () =>
        streamAttack(t, own, {
          ...STREAM,
          head: `POST /api/auth/login HTTP/1.1\r\n${HOST}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n`,
          filler: Buffer.from(line.repeat(256), 'latin1'),
          status: 431,
          what: 'huge trailers',
        }),
      ),
    );
  });
});

/**
 * Ends a polling client: a close packet for a session the test left open (which would
 * otherwise hold the server's graceful shutdown for its whole grace period), then aborts.
 */
async function endPolling(pc) {
  if (pc.sid) await pc.post('1', { timeoutMs: 1000 }).catch(() => {});
  pc.abortAll();
}

/** Asserts that polling requests with the sid of `pc` get 400 {"code":1,"message":"Session ID unknown"}. */
async function assertSessionGone(pc, what) {
  const res = await pc.get({ timeoutMs: 3000 });
  assert.equal(res.status, 400, `${what}: a GET with the sid afterwards answered ${res.status} ${res.body.slice(0, 100)}`);
  assert.deepEqual(parseErrorBody(res.body), { code: 1, message: 'Session ID unknown' }, `${what}: error body`);
}

describe('2. Engine.IO: client pings and oversized payloads close the session', () => {
  const ctx = sharedTarget();
  // 500,000 ping packets: 999,999 bytes, just under maxPayload.
  const PING_FLOOD = Array(500000).fill('2').join(SEP);

  test('8 polling POSTs of 1 MB of pings each (500,000 packets) get 400 and close their sessions (RSS grows < 32 MiB)', T, (t) =>
    onOwnTarget(async (own) => {
      const clients = Array.from({ length: 8 }, () => sioPollingClient(own.url));
      try {
        await attackWithin(t, own, 32, async () => {
          for (const pc of clients) await pc.handshake();
          const answers = await Promise.all(clients.map((pc) => pc.post(PING_FLOOD, { timeoutMs: 10000 })));
          for (const [i, res] of answers.entries()) {
            assert.equal(res.status, 400, `ping flood ${i}: answered ${res.status} ${res.body.slice(0, 100)}`);
          }
          for (const [i, pc] of clients.entries()) await assertSessionGone(pc, `ping flood ${i}`);
        });
      } finally {
        await Promise.all(clients.map(endPolling));
      }
    }));

  test('one client ping on a polling session is answered and closes the session (RSS grows < 4 MiB)', T, async (t) => {
    const pc = sioPollingClient(ctx.url);
    try {
      await attackWithin(t, ctx, 4, async () => {
        await pc.handshake();
        const res = await pc.post('2');
        assert.ok([200, 400].includes(res.status), `the POST carrying the ping answered ${res.status} ${res.body}`);
        await assertSessionGone(pc, 'client ping');
      });
    } finally {
      await endPolling(pc);
    }
  });

  test('client pings on a WebSocket, one or 100,000 at once, close the session (RSS grows < 16 MiB)', T, async (t) => {
    const opened = [];
    try {
      await attackWithin(t, ctx, 16, async () => {
        const single = (await openSioWs(ctx.url)).client;
        opened.push(single);
        single.send('2');
        await single.waitClose(3000).catch(() => assert.fail(`one client ping: WebSocket still open, received ${JSON.stringify(single.queue.map((m) => m.data))}`));

        const burst = (await openSioWs(ctx.url)).client;
        opened.push(burst);
        for (let i = 0; i < 100000 && !burst.closeInfo; i++) burst.send('2');
        await burst.waitClose(5000).catch(() => assert.fail(`100,000 client pings: WebSocket still open after ${burst.queue.length} messages`));
      });
    } finally {
      for (const c of opened) c.terminate();
    }
  });

  // Each CONNECT to a namespace that does not exist queues a CONNECT_ERROR of 42 bytes for a
  // poll that never comes. Counted at their bytes alone, the 4 MiB a session may queue were
  // 100,000 packets and 14 MiB of memory (measured); at their real cost, about 4 MiB.
  test('8 sessions that never poll, each queueing CONNECT_ERRORs 4096 at a time, are closed at their queue limit (RSS grows < 48 MiB)', T, (t) =>
    onOwnTarget(async (own) => {
      const clients = Array.from({ length: 8 }, () => sioPollingClient(own.url));
      const connects = Array(4096).fill(`4${connectPacket('/nowhere')}`).join(SEP);
      const MAX_POSTS = 64;
      try {
        await attackWithin(t, own, 48, async () => {
          for (const pc of clients) await pc.handshake();
          await Promise.all(
            clients.map(async (pc, i) => {
              for (let posts = 0; posts < MAX_POSTS; posts++) {
                const res = await pc.post(connects);
                if (res.status !== 200) return;
              }
              assert.fail(`session ${i} still open after ${MAX_POSTS} POSTs of 4096 CONNECTs`);
            }),
          );
          for (const [i, pc] of clients.entries()) await assertSessionGone(pc, `queue flood ${i}`);
        });
      } finally {
        await Promise.all(clients.map(endPolling));
      }
    }));

  test('a payload of 4096 packets is accepted; one of 4097 gets 400 and closes the session (RSS grows < 4 MiB)', T, async (t) => {
    const pc = sioPollingClient(ctx.url);
    const noops = (n) => Array(n).fill('6').join(SEP);
    try {
      await attackWithin(t, ctx, 4, async () => {
        await pc.handshake();
        const most = await pc.post(noops(4096));
        assert.equal(most.status, 200, `4096 packets: ${most.status} ${most.body}`);
        const after = await pc.post('6');
        assert.equal(after.status, 200, `the session must live on after 4096 packets: ${after.status} ${after.body}`);
        const tooMany = await pc.post(noops(4097));
        assert.equal(tooMany.status, 400, `4097 packets: ${tooMany.status} ${tooMany.body}`);
        await assertSessionGone(pc, '4097 packets');
      });
    } finally {
      await endPolling(pc);
    }
  });
});

/** Pads an auth object to about 1 MB: the largest CONNECT packet a client may send. */
const PAD = 'x'.repeat(990000);

/**
 * Opens `count` WebSocket sessions on the Socket.IO endpoint, `width` at a time, each sending
 * CONNECT to `nsp` with `auth`; resolves [{ client, reply }] (reply: the Socket.IO packet text).
 * The sessions stay open (the caller terminates them).
 */
async function connectMany(ctx, { count, width, nsp, auth, opened }) {
  const results = [];
  await inPool(count, width, async () => {
    const { client } = await openSioWs(ctx.url);
    opened.push(client);
    sendSio(client, connectPacket(nsp, auth));
    results.push({ client, reply: await nextSioText(client, 5000) });
  });
  return results;
}

/** Asserts a CONNECT_ERROR "Invalid namespace" for `nsp`. */
function assertInvalidNamespace(reply, nsp) {
  const prefix = nsp === '/' ? '4' : `4${nsp},`;
  assert.ok(reply.startsWith(`${prefix}{`), `CONNECT to ${nsp}: expected CONNECT_ERROR "${prefix}{...}", got ${JSON.stringify(reply.slice(0, 200))}`);
  assert.deepEqual(JSON.parse(reply.slice(prefix.length)), { message: 'Invalid namespace' });
}

/** Runs `fn(opened)` and then terminates the WebSockets it pushed into `opened`. */
async function closingAfter(fn) {
  const opened = [];
  try {
    await fn(opened);
  } finally {
    for (const c of opened) c.terminate();
  }
}

describe('3. Socket.IO: only registered namespaces exist; CONNECT payloads are not kept', () => {
  // 4 CONNECTs in flight at a time: what they cost while parsed is a few MiB each; what a
  // server that keeps them holds for 48 live sessions is 48 MiB or more.
  test('48 sessions CONNECT to / with a 1 MB auth object, one to /admin: all get "Invalid namespace" (RSS grows < 24 MiB)', T, (t) =>
    onOwnTarget((own) =>
      closingAfter((opened) =>
        attackWithin(t, own, 24, async () => {
          const results = await connectMany(own, { count: 48, width: 4, nsp: '/', auth: { pad: PAD }, opened });
          for (const { reply } of results) assertInvalidNamespace(reply, '/');
          const [admin] = await connectMany(own, { count: 1, width: 1, nsp: '/admin', auth: {}, opened });
          assertInvalidNamespace(admin.reply, '/admin');
        }),
      ),
    ));

  test('48 sessions CONNECT to /ws/internal with a valid token in a 1 MB auth object: connected, auth not kept (RSS grows < 24 MiB)', T, (t) =>
    onOwnTarget((own) =>
      closingAfter((opened) =>
        attackWithin(t, own, 24, async () => {
          const auth = { token: own.tokens.op1, pad: PAD };
          const results = await connectMany(own, { count: 48, width: 4, nsp: LIVE_NSP, auth, opened });
          for (const { reply } of results) {
            assert.ok(reply.startsWith(`0${LIVE_NSP},{"sid":`), `expected a CONNECT reply, got ${JSON.stringify(reply.slice(0, 200))}`);
          }
        }),
      ),
    ));
});

/** A request that must never be answered when it arrives as another request's body. */
const SMUGGLED = `GET /healthz HTTP/1.1\r\n${HOST}\r\n`;
const WS_UPGRADE = `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`;

/** One chunk holding `text`, as chunked transfer coding writes it. */
function chunk(text) {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

/** A request to the REST API (it needs a token: 401 if it were served) with `headers` and raw `body`. */
function reportsPost(headers, body) {
  return `POST /api/reports HTTP/1.1\r\n${HOST}Content-Type: application/json\r\n${headers}\r\n${body}`;
}

const DESYNC_CASES = [
  ['Transfer-Encoding: gzip', reportsPost('Transfer-Encoding: gzip\r\n', SMUGGLED)],
  ['Transfer-Encoding: chunked, gzip', reportsPost('Transfer-Encoding: chunked, gzip\r\n', SMUGGLED)],
  ['Transfer-Encoding: gzip, chunked', reportsPost('Transfer-Encoding: gzip, chunked\r\n', `0\r\n\r\n${SMUGGLED}`)],
  ['Transfer-Encoding lines chunked then gzip', reportsPost('Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n', SMUGGLED)],
  ['Transfer-Encoding lines gzip then chunked', reportsPost('Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`)],
  // Header order matters to some parsers: each pair both ways.
  ['Content-Length then Transfer-Encoding: chunked', reportsPost('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', `0\r\n\r\n${SMUGGLED}`)],
  ['Transfer-Encoding: chunked then Content-Length', reportsPost('Transfer-Encoding: chunked\r\nContent-Length: 5\r\n', `0\r\n\r\n${SMUGGLED}`)],
  ['Content-Length then Transfer-Encoding: gzip', reportsPost(`Content-Length: ${SMUGGLED.length}\r\nTransfer-Encoding: gzip\r\n`, SMUGGLED)],
  ['Transfer-Encoding: gzip then Content-Length', reportsPost(`Transfer-Encoding: gzip\r\nContent-Length: ${SMUGGLED.length}\r\n`, SMUGGLED)],
  [
    'Upgrade: websocket with a Content-Length body to a REST path',
    `GET /healthz HTTP/1.1\r\n${HOST}${WS_UPGRADE}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ],
  [
    'Upgrade: websocket with a Content-Length body to the Engine.IO path',
    `GET ${SIO_PATH}?EIO=4&transport=websocket HTTP/1.1\r\n${HOST}${WS_UPGRADE}Content-Length: ${SMUGGLED.length}\r\n\r\n${SMUGGLED}`,
  ],
  [
    'Upgrade: websocket with a chunked body to the Engine.IO path',
    `GET ${SIO_PATH}?EIO=4&transport=websocket HTTP/1.1\r\n${HOST}${WS_UPGRADE}Transfer-Encoding: chunked\r\n\r\n${chunk(SMUGGLED)}0\r\n\r\n`,
  ],
];

/**
 * Sends `bytes` (a request whose body is another request) and asserts 400 with a JSON error,
 * the close of the connection, and not a byte more: the body was not served as a request.
 */
async function assertDesyncRefused(ctx, bytes, what) {
  const conn = new RawHttpConnection(ctx.port);
  try {
    await conn.connected;
    await conn.write(bytes);
    const res = await conn.readResponse(3000);
    assertJsonError(res, 400, what);
    await conn.waitClose(3000).catch(() => {});
    if (conn.buf.length > 0) {
      const extra = conn.buf.toString('latin1');
      assert.fail(`${what}: the smuggled request was answered: ${JSON.stringify(extra.split('\r\n')[0])}`);
    }
    assert.ok(conn.ended, `${what}: the server answered 400 but did not close the connection`);
  } finally {
    conn.destroy();
  }
}

const HANDSHAKE = `GET ${SIO_PATH}?EIO=4&transport=polling HTTP/1.1\r\n${HOST}\r\n`;

/** A polling handshake from `localAddress`; resolves the raw response. */
function handshakeFrom(ctx, localAddress) {
  return rawRequest(ctx.port, HANDSHAKE, { localAddress });
}

/** The sid of a successful polling handshake response. */
function sidOf(res, what) {
  const text = res.body.toString('utf8');
  assert.equal(res.status, 200, `${what}: ${res.statusLine} ${text.slice(0, 200)}`);
  assert.ok(text.startsWith('0{'), `${what}: expected an open packet, got ${JSON.stringify(text.slice(0, 200))}`);
  return JSON.parse(text.slice(1)).sid;
}

/** Closes polling session `sid` with a close packet, from `localAddress`. */
async function closeSessionFrom(ctx, sid, localAddress) {
  const head = `POST ${SIO_PATH}?EIO=4&transport=polling&sid=${encodeURIComponent(sid)} HTTP/1.1\r\n${HOST}`;
  const res = await rawRequest(ctx.port, `${head}Content-Type: text/plain\r\nContent-Length: 1\r\n\r\n1`, { localAddress });
  assert.equal(res.status, 200, `closing session ${sid}: ${res.statusLine} ${res.body.toString('utf8')}`);
}

/** POST /api/auth/login from LOGIN_ATTACKER with `username` and a wrong password. */
function loginAttempt(ctx, username) {
  return rawRequest(ctx.port, jsonPost('/api/auth/login', { username, password: 'wrong-password' }), {
    localAddress: LOGIN_ATTACKER,
  });
}

/** A masked client text frame holding `text`. */
function maskedTextFrame(text) {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  let header;
  if (payload.length < 126) {
    header = Buffer.from([0x81, 0x80 | payload.length]);
  } else {
    header = Buffer.from([0x81, 0x80 | 126, 0, 0]);
    header.writeUInt16BE(payload.length, 2);
  }
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([header, mask, masked]);
}

/** The first server frame in `buf` (servers do not mask): { opcode, text, size }, or null while incomplete. */
function parseServerFrame(buf) {
  if (buf.length < 2) return null;
  let length = buf[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return null;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return null;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  if (buf.length < offset + length) return null;
  return { opcode: buf[0] & 0x0f, text: buf.subarray(offset, offset + length).toString('utf8'), size: offset + length };
}

/** The next WebSocket frame received on a raw connection after its 101. */
async function nextServerFrame(conn, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const frame = parseServerFrame(conn.buf);
    if (frame) {
      conn.buf = conn.buf.subarray(frame.size);
      return frame;
    }
    const left = deadline - Date.now();
    if (conn.ended || left <= 0) {
      throw new Error(`no complete WebSocket frame (${conn.ended ? 'connection closed' : `within ${timeoutMs} ms`})`);
    }
    await Promise.race([waitFor(conn.socket, 'data', left, { rejectOnError: false }).catch(() => {}), conn.closed]);
  }
}

/** Sends join_report with ack id 7 as raw Socket.IO on `ws`; asserts {ok:true} comes back. */
async function assertJoinWorks(ws, reportId, what) {
  ws.send(`42${LIVE_NSP},7${JSON.stringify(['join_report', { reportId }])}`);
  const prefix = `43${LIVE_NSP},7`;
  for (let i = 0; i < 5; i++) {
    const text = await ws.nextText(3000);
    if (!text.startsWith(prefix)) continue;
    assert.equal(JSON.parse(text.slice(prefix.length))[0]?.ok, true, `${what}: ack ${text}`);
    return;
  }
  assert.fail(`${what}: no ack for join_report`);
}

/** Asserts that a second WebSocket on `sid` opened (101) and was closed by the server without upgrading anything. */
async function assertSecondWsClosed(ctx, sid, what) {
  const before = await liveWebSockets(ctx);
  const second = await attemptWs(eioUrl(wsBase(ctx.url), `EIO=4&transport=websocket&sid=${encodeURIComponent(sid)}`, SIO_PATH), {
    probes: ['2probe'],
    timeoutMs: 3000,
  });
  assert.equal(second.httpStatus, undefined, `${what}: refused at the HTTP level with ${second.httpStatus} ${second.httpBody}`);
  assert.equal(second.opened, true, `${what}: the second WebSocket did not open: ${JSON.stringify(second)}`);
  assert.equal(second.closed, true, `${what}: the server did not close the second WebSocket: ${JSON.stringify(second)}`);
  assert.ok(!second.messages.includes('3probe'), `${what}: the second WebSocket was answered a probe`);
  // The server finishes its side of the close handshake too, instead of holding the socket (and
  // its descriptor) until its close timeout.
  const deadline = Date.now() + 1000;
  let now = await liveWebSockets(ctx);
  while (now > before && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    now = await liveWebSockets(ctx);
  }
  assert.ok(now <= before, `${what}: reportd_websockets ${now} one second after the close, ${before} before`);
}

/** The server's count of live WebSockets, from /metrics. */
async function liveWebSockets(ctx) {
  const res = await fetch(`${ctx.url}/metrics`);
  const match = /^reportd_websockets (\d+)/m.exec(await res.text());
  assert.ok(match, 'reportd_websockets missing from /metrics');
  return Number(match[1]);
}

// The smaller attacks share one reportd: what they cost is far below their neighbours' bounds.
describe('items 12, 4, 9, 10 and 11 on one reportd', () => {
  const ctx = sharedTarget();

  describe('12. a second WebSocket on an upgraded or upgrading session', () => {
    for (const upgradedFirst of [true, false]) {
      const state = upgradedFirst ? 'upgraded' : 'upgrading';
      test(`on an ${state} session: 101, then closed by the server; the first session keeps working (RSS grows < 4 MiB)`, T, async (t) => {
        const token = ctx.tokens.op1;
        const pc = sioPollingClient(ctx.url);
        let first;
        try {
          await attackWithin(t, ctx, 4, async () => {
            await pc.handshake();
            const posted = await pc.post(`40${LIVE_NSP},${JSON.stringify({ token })}`);
            assert.equal(posted.status, 200, `CONNECT over polling: ${posted.status} ${posted.body}`);
            const [reply] = await pollPackets(pc, 1);
            assert.ok(reply.startsWith(`40${LIVE_NSP},{"sid":`), `CONNECT reply ${reply}`);

            first = new WsClient(eioUrl(wsBase(ctx.url), `EIO=4&transport=websocket&sid=${encodeURIComponent(pc.sid)}`, SIO_PATH));
            await first.waitOpen();
            first.send('2probe');
            assert.equal(await first.nextText(), '3probe');
            if (upgradedFirst) first.send('5');

            await assertSecondWsClosed(ctx, pc.sid, `second WebSocket on an ${state} session`);

            if (!upgradedFirst) first.send('5');
            await assertJoinWorks(first, ctx.reportId, `first WebSocket after the second was closed`);
            assert.equal(first.closeInfo, null, 'the first WebSocket must stay open');
          });
        } finally {
          await endPolling(pc);
          first?.terminate();
        }
      });
    }
  });

  describe('4. HTTP desync: a request body is never parsed as a request', () => {
    for (const [what, bytes] of DESYNC_CASES) {
      test(`${what}: 400 and close, the smuggled request unanswered, 20 times at once (RSS grows < 8 MiB)`, T, async (t) => {
        await attackWithin(t, ctx, 8, () => inPool(20, 20, () => assertDesyncRefused(ctx, bytes, what)));
      });
    }

    test('an HTTP/1.1 request without Host gets 400 with a JSON error, 20 times at once (RSS grows < 8 MiB)', T, async (t) => {
      await attackWithin(t, ctx, 8, () =>
        inPool(20, 20, async () => {
          const res = await rawRequest(ctx.port, 'GET /healthz HTTP/1.1\r\n\r\n');
          assertJsonError(res, 400, 'no Host');
        }),
      );
    });
  });

  describe('9. per-address session cap (MAX_SESSIONS_PER_ADDRESS, default 256)', () => {
    const CAP = 256;

    test('one address opens 256 sessions; more handshakes (polling and WebSocket) get 429; staff still connect; a closed session frees a place (RSS grows < 16 MiB)', T, async (t) => {
      const sids = [];
      try {
        await attackWithin(t, ctx, 16, async () => {
          await inPool(CAP, 16, async (i) => sids.push(sidOf(await handshakeFrom(ctx, CAP_ATTACKER), `handshake ${i + 1} of ${CAP}`)));

          await inPool(200, 16, async (i) => {
            const res = await handshakeFrom(ctx, CAP_ATTACKER);
            assertJsonError(res, 429, `handshake ${CAP + 1 + i}`);
            const body = JSON.parse(res.body.toString('utf8'));
            assert.equal(typeof body.code, 'number', `an Engine.IO error body {code,message}: ${res.body}`);
          });

          const ws = await rawRequest(
            ctx.port,
            `GET ${SIO_PATH}?EIO=4&transport=websocket HTTP/1.1\r\n${HOST}${WS_UPGRADE}\r\n`,
            { localAddress: CAP_ATTACKER },
          );
          assertJsonError(ws, 429, 'WebSocket handshake beyond the cap');
        });

        await closeSessionFrom(ctx, sids.shift(), CAP_ATTACKER);
        sids.push(sidOf(await handshakeFrom(ctx, CAP_ATTACKER), 'handshake after closing one session'));
      } finally {
        await inPool(sids.length, 16, (i) => closeSessionFrom(ctx, sids[i], CAP_ATTACKER).catch(() => {}));
      }
    });
  });

  describe('10. giant usernames and forged log lines', () => {
    test('300 logins with distinct 60 KB usernames get 400 at once and are not kept (RSS grows < 8 MiB)', T, async (t) => {
      const started = Date.now();
      await attackWithin(t, ctx, 8, () =>
        inPool(300, 8, async (i) => {
          const res = await loginAttempt(ctx, `${i}-${'u'.repeat(60000)}`);
          assertJsonError(res, 400, `60 KB username ${i}`);
        }),
      );
      t.diagnostic(`300 logins with 60 KB usernames answered in ${Date.now() - started} ms`);
    });

    test(`usernames are limited to 64 bytes of UTF-8: 64 bytes get 401, 65 bytes 400 (RSS grows < ${WITH_HASH_MIB} MiB, one password hash at a time)`, T, async (t) => {
      await attackWithin(t, ctx, WITH_HASH_MIB, async () => {
        for (const [name, status] of [
          ['a'.repeat(64), 401],
          ['é'.repeat(32), 401], // 32 characters, 64 bytes
          ['b'.repeat(65), 400],
          ['é'.repeat(33), 400], // 33 characters, 66 bytes
        ]) {
          const res = await loginAttempt(ctx, name);
          assertJsonError(res, status, `username of ${Buffer.byteLength(name)} bytes`);
        }
      });
    });

    test(`a username with a quote and a newline or carriage return forges no log line (RSS grows < ${WITH_HASH_MIB} MiB, one password hash at a time)`, T, async (t) => {
      const forgeries = ['a"\nFORGED event=login user_id=1', 'b"\rFORGED event=login user_id=1', 'q" remote=6.6.6.6 x="'];
      const failuresLogged = () => ctx.srv.log().split('event=login_failed').length - 1;
      const before = failuresLogged();
      await attackWithin(t, ctx, WITH_HASH_MIB, async () => {
        for (const name of forgeries) {
          const res = await loginAttempt(ctx, name);
          assertJsonError(res, 401, `login as ${JSON.stringify(name)}`);
        }
      });
      // The failures are logged (as escaped values) before their 401 is written; a little slack for the pipe.
      for (let i = 0; i < 50 && failuresLogged() < before + forgeries.length; i++) await sleep(20);
      const log = ctx.srv.log();
      assert.equal(failuresLogged(), before + forgeries.length, 'each failed login is logged once');
      assert.ok(!log.includes('\r'), `a raw carriage return reached the log: ${JSON.stringify(log.slice(-600))}`);
      const forged = log.split('\n').filter((line) => line.startsWith('FORGED'));
      assert.deepEqual(forged, [], 'a forged line in the log');
      assert.ok(!log.includes('q" remote=6.6.6.6'), 'an unescaped quote let a username add a field to the log line');
    });
  });

  describe('11. media type case, hostile titles, a frame in the upgrade segment', () => {
    test(`Content-Type: Application/JSON; charset=UTF-8 is accepted on login and reports (RSS grows < ${WITH_HASH_MIB} MiB, one password hash)`, T, async (t) => {
      await attackWithin(t, ctx, WITH_HASH_MIB, async () => {
        const r = await api(ctx.url, 'POST', '/api/auth/login', {
          body: { username: 'alice', password: ctx.srv.users.alice.password },
          headers: { 'content-type': 'Application/JSON; charset=UTF-8' },
        });
        assert.equal(r.status, 200, `login with Content-Type Application/JSON; charset=UTF-8: ${r.status} ${r.text}`);
        for (const contentType of ['Application/JSON; charset=UTF-8', 'APPLICATION/JSON']) {
          const created = await api(ctx.url, 'POST', '/api/reports', {
            token: r.json.token,
            body: { title: 'Broken bench', description: 'The bench in Piazza Navona is broken' },
            headers: { 'content-type': contentType },
          });
          assert.equal(created.status, 201, `report with Content-Type ${contentType}: ${created.status} ${created.text}`);
        }
      });
    });

    test('titles of only zero-width characters, or with control characters or bidi controls, get 400; other Unicode titles 201 (RSS grows < 4 MiB)', T, async (t) => {
      const token = ctx.tokens.alice;
      const refused = [
        '\u200B',
        '\u200B\u200C\u200D',
        '\u2060\uFEFF\u200B',
        ...['\u0000', '\u0007', '\t', '\n', '\u001F', '\u007F', '\u0085', '\u009F'].map((c) => `Pothole${c}here`),
        ...['\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069'].map((c) => `Pothole ${c}ereh`),
      ];
      const accepted = ['Buca in via Università: è profonda', 'Lampione rotto 🚧', 'عطل في الإنارة العامة', 'Famiglia 👨‍👩‍👧 bloccata'];
      const create = (title) => api(ctx.url, 'POST', '/api/reports', { token, body: { title, description: 'Seen this morning' } });
      await attackWithin(t, ctx, 4, async () => {
        for (const title of refused) {
          const r = await create(title);
          assert.equal(r.status, 400, `title ${JSON.stringify(title)}: ${r.status} ${r.text}`);
          assert.equal(typeof r.json?.error?.code, 'string', `title ${JSON.stringify(title)}: error body ${r.text}`);
        }
        for (const title of accepted) {
          const r = await create(title);
          assert.equal(r.status, 201, `title ${JSON.stringify(title)}: ${r.status} ${r.text}`);
          assert.equal(r.json.title, title);
        }
      });
    });

    test('a WebSocket frame sent in the same TCP segment as the upgrade request is processed (RSS grows < 4 MiB)', T, async (t) => {
      const token = ctx.tokens.op1;
      await attackWithin(t, ctx, 4, async () => {
        const conn = new RawHttpConnection(ctx.port);
        try {
          await conn.connected;
          conn.socket.setNoDelay(true);
          const upgrade = `GET ${SIO_PATH}?EIO=4&transport=websocket HTTP/1.1\r\n${HOST}${WS_UPGRADE}\r\n`;
          // One write of both, far below the loopback MSS: one segment.
          await conn.write(Buffer.concat([Buffer.from(upgrade, 'latin1'), maskedTextFrame(`40${LIVE_NSP},${JSON.stringify({ token })}`)]));
          const res = await conn.readResponse(3000);
          assert.equal(res.status, 101, `upgrade: ${res.statusLine}`);
          const open = await nextServerFrame(conn);
          assert.ok(open.text.startsWith('0{'), `expected the open packet, got ${JSON.stringify(open.text)}`);
          const reply = await nextServerFrame(conn).catch((err) => assert.fail(`the CONNECT sent with the upgrade was not answered: ${err.message}`));
          assert.ok(reply.text.startsWith(`40${LIVE_NSP},{"sid":`), `expected the CONNECT reply, got ${JSON.stringify(reply.text)}`);
        } finally {
          conn.destroy();
        }
      });
    });
  });
});
