// Connection state recovery (the socket.io 4.6+ protocol) on /ws/internal, end to end with the
// official socket.io-client: a client whose connection is LOST (transport cut, reportd killed
// with SIGKILL and restarted, or reconnecting to another node of a cluster) gets its session
// back (same socket id, `socket.recovered`, its rooms without re-joining) and every comment it
// missed, in id order, exactly once, before anything new. And when it must not: after the
// client's own disconnect(), after RECOVERY_SECONDS, with RECOVERY_SECONDS=0, for a user
// deactivated or a token expired during the cut (middleware runs again), and beyond 1,000 missed
// comments; and that 1,000 missed comments are replayed without holding up other clients.

import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres } from './lib/postgres.mjs';
import { startRedis } from './lib/redis.mjs';
import { printLogIfFailed, sleep, waitFor, withTimeout } from './lib/server.mjs';
import {
  checkJoinAck,
  LIVE_NSP,
  api,
  closeLive,
  connectLive,
  emitAck,
  login,
  randomSecret,
  signJwt,
  startReportd,
} from './lib/reportd.mjs';

// "Default" means unset: not inherited from the runner's environment either.
delete process.env.RECOVERY_SECONDS;

const T = { timeout: 20000 };
/** How long to wait to be reasonably sure that an event does not come (or comes no second time). */
const QUIET_MS = 300;
/** The session row is written a few ms after connect/join: let this pass before a cut. */
const SETTLE_MS = 200;
/** Automatic reconnection delay of the clients that reconnect by themselves (no jitter). */
const RECONNECT_MS = 1000;

let srv;
const tok = {};
/** socket.io-client sockets of the running test; closed in afterEach. */
const opened = new Set();
/** Servers started by a test; stopped in afterEach. */
const extraServers = new Set();

const USERS = [
  { username: 'op1', role: 'operator', internal: true },
  { username: 'op2', role: 'operator', internal: true },
  { username: 'op3', role: 'operator', internal: true },
  { username: 'leaver', role: 'operator', internal: true },
  { username: 'alice', role: 'citizen' },
];

before(async () => {
  srv = await startReportd({ users: USERS });
  for (const u of USERS) tok[u.username] = await login(srv.url, u.username, srv.users[u.username].password);
});

after(async () => {
  for (const s of opened) closeLive(s);
  await srv?.stop();
});

/** Length of the shared server's log when the running test began. */
let logAtStart = 0;
beforeEach(() => {
  logAtStart = srv?.log().length ?? 0;
});

afterEach(async (t) => {
  // The shared server's log only when the test used it (its log grew, or is at its cap).
  const usedShared = srv && (srv.log().length !== logAtStart || srv.log().length >= 200 * 1024);
  printLogIfFailed(t, ...(usedShared ? [srv] : []), ...extraServers);
  for (const s of opened) closeLive(s);
  opened.clear();
  for (const s of extraServers) await s.stop().catch(() => {});
  extraServers.clear();
});

async function createReport(url = srv.url, token = tok.alice, title = 'Recovery') {
  const r = await api(url, 'POST', '/api/reports', { token, body: { title, description: 'connection state recovery' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function postComment(reportId, comment, { url = srv.url, token = tok.op1 } = {}) {
  const r = await api(url, 'POST', `/api/reports/${reportId}/comments`, { token, body: { comment } });
  assert.equal(r.status, 201, `comment on report ${reportId} through ${url}: ${r.status} ${r.text}`);
  return r.json;
}

/** Posts `n` comments one after the other (ascending ids); resolves their 201 bodies. */
async function postComments(reportId, n, prefix, opts) {
  const bodies = [];
  for (let i = 1; i <= n; i++) bodies.push(await postComment(reportId, `${prefix} ${i}`, opts));
  return bodies;
}

async function join(socket, reportId) {
  checkJoinAck(await emitAck(socket, 'join_report', { reportId }), reportId);
}

/**
 * Records what a socket lives through: every comment.created with ALL its arguments, every
 * connect (id and `recovered`), disconnect reason, connect_error and outgoing event.
 */
function record(socket) {
  const rec = { socket, events: [], connects: [], disconnects: [], errors: [], outgoing: [] };
  const waiters = new Set();
  socket.on('comment.created', (...args) => {
    rec.events.push(args);
    for (const w of [...waiters]) if (rec.events.length >= w.n) w.done();
  });
  socket.on('connect', () => rec.connects.push({ id: socket.id, recovered: socket.recovered }));
  socket.on('disconnect', (reason) => rec.disconnects.push(reason));
  socket.on('connect_error', (err) => rec.errors.push({ message: err.message, data: err.data }));
  socket.onAnyOutgoing((event, ...args) => rec.outgoing.push([event, ...args]));
  /** Resolves once at least n comment.created have come (in total). */
  rec.waitForEvents = (n, timeoutMs = 5000) => {
    if (rec.events.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        n,
        done: () => {
          clearTimeout(timer);
          waiters.delete(w);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(w);
        const ids = rec.events.map((a) => a[0]?.id);
        reject(new Error(`only ${rec.events.length} of ${n} comment.created within ${timeoutMs} ms (ids ${ids.join(',')})`));
      }, timeoutMs);
      waiters.add(w);
    });
  };
  /** The payloads (first arguments) received so far. */
  rec.payloads = () => rec.events.map((a) => a[0]);
  /** How many join_report the client emitted. */
  rec.joins = () => rec.outgoing.filter(([event]) => event === 'join_report').length;
  return rec;
}

/**
 * A connected, recorded live socket. `reconnect: true` lets the client reconnect by itself
 * after RECONNECT_MS; otherwise it reconnects only when the test calls socket.connect().
 */
async function follower(url, token, { transports, reconnect = false } = {}) {
  const opts = { auth: { token }, ...(transports ? { transports } : {}) };
  if (reconnect) {
    Object.assign(opts, {
      reconnection: true,
      reconnectionDelay: RECONNECT_MS,
      reconnectionDelayMax: RECONNECT_MS,
      randomizationFactor: 0,
    });
  }
  const socket = await connectLive(url, opts);
  opened.add(socket);
  const rec = record(socket);
  rec.connects.push({ id: socket.id, recovered: socket.recovered });
  return rec;
}

/** Waits until the client's engine runs on WebSocket (after the upgrade from polling). */
async function upgraded(socket, timeoutMs = 5000) {
  const engine = socket.io.engine;
  if (engine.transport.name !== 'websocket') await waitFor(engine, 'upgrade', timeoutMs);
  assert.equal(engine.transport.name, 'websocket', 'the engine upgraded to websocket');
}

/** Cuts the transport under the client (a lost connection, not a disconnect()); resolves the reason. */
async function cut(socket) {
  const gone = waitFor(socket, 'disconnect', 3000);
  socket.io.engine.close();
  const [reason] = await gone;
  assert.equal(socket.connected, false);
  return reason;
}

/** The next connect or connect_error of `socket`, whichever comes first (bounded). */
function nextOutcome(socket, timeoutMs = 5000, what = 'reconnection') {
  const outcome = withTimeout(
    new Promise((resolve) => {
      const onConnect = () => {
        socket.off('connect_error', onError);
        resolve({ kind: 'connect', id: socket.id, recovered: socket.recovered });
      };
      const onError = (err) => {
        socket.off('connect', onConnect);
        resolve({ kind: 'connect_error', message: err.message, data: err.data });
      };
      socket.once('connect', onConnect);
      socket.once('connect_error', onError);
    }),
    timeoutMs,
    `connect or connect_error of the ${what}`,
  );
  outcome.catch(() => {}); // awaited by the test, unless it failed before
  return outcome;
}

/** Reconnects by hand (the client does not do it by itself); resolves the outcome. */
function reconnectNow(socket, what) {
  const outcome = nextOutcome(socket, 5000, what);
  socket.connect();
  return outcome;
}

/** What each comment.created must look like with recovery on: the 201 body and its id as offset. */
const withOffset = (bodies) => bodies.map((b) => [b, String(b.id)]);

/**
 * The whole recovery scenario on `url` (also used against another node and across a restart):
 * the follower joined `reportId`, (optionally) received `before`, then lost its connection;
 * `missed` were posted meanwhile. Checks that `outcome` is a recovery of the same socket id,
 * that exactly before+missed arrived in order, then posts one more (`post`: {url, token} of
 * postComment) and checks
 * that it arrives once, with no join_report emitted after the first.
 */
async function assertRecovered(rec, outcome, { idBefore, reportId, before, missed, post }) {
  assert.deepEqual(outcome, { kind: 'connect', id: idBefore, recovered: true }, 'recovered, with the same socket id');
  const want = [...before, ...missed];
  await rec.waitForEvents(want.length, 5000);
  assert.deepEqual(rec.events, withOffset(want), 'the missed comments, in id order, each once, as their 201 bodies, with their offsets');
  const fresh = await postComment(reportId, 'after the recovery', post);
  await rec.waitForEvents(want.length + 1, 5000);
  await sleep(QUIET_MS);
  assert.deepEqual(rec.events, withOffset([...want, fresh]), 'a comment posted after the recovery arrives once, after the missed ones');
  assert.equal(rec.joins(), 1, `no join_report emitted after the recovery (outgoing: ${JSON.stringify(rec.outgoing)})`);
  assert.ok(rec.socket.connected);
}

describe('recovered after a transport cut (automatic reconnection)', () => {
  const variants = [
    ['websocket', ['websocket']],
    ['polling', ['polling']],
    ['default transports (polling, then the upgrade)', undefined],
  ];
  for (const [name, transports] of variants) {
    test(`${name}: 3 comments posted during the cut arrive once, in order, on the same socket id (recovered, no re-join); a 4th arrives once`, T, async () => {
      const report = await createReport();
      const rec = await follower(srv.url, tok.op1, { transports, reconnect: true });
      if (!transports) await upgraded(rec.socket);
      const idBefore = rec.socket.id;
      await join(rec.socket, report.id);
      const joinedAt = Date.now();
      const first = await postComment(report.id, 'before the cut');
      await rec.waitForEvents(1);
      assert.deepEqual(rec.events, withOffset([first]), 'comment.created carries the comment id as its offset');
      await sleep(Math.max(0, SETTLE_MS - (Date.now() - joinedAt)));

      const reconnected = nextOutcome(rec.socket, RECONNECT_MS + 5000);
      const reason = await cut(rec.socket);
      const missed = await postComments(report.id, 3, `during the cut (${name})`);
      assert.equal(rec.connects.length, 1, `the comments were all posted before the client reconnected (cut: ${reason})`);
      const outcome = await reconnected;
      assert.equal(rec.errors.length, 0, `no connect_error: ${JSON.stringify(rec.errors)}`);
      await assertRecovered(rec, outcome, { idBefore, reportId: report.id, before: [first], missed });
      if (transports) assert.equal(rec.socket.io.engine.transport.name, transports[0]);
    });
  }

  test('a client that had received no comment before the cut (no offset) recovers from its join: the 3 missed comments arrive once, in order', T, async () => {
    const report = await createReport();
    const earlier = await postComment(report.id, 'before the join: never sent');
    const rec = await follower(srv.url, tok.op2, { transports: ['websocket'], reconnect: true });
    const idBefore = rec.socket.id;
    await join(rec.socket, report.id);
    await sleep(SETTLE_MS);
    assert.equal(rec.events.length, 0);

    const reconnected = nextOutcome(rec.socket, RECONNECT_MS + 5000);
    await cut(rec.socket);
    const missed = await postComments(report.id, 3, 'during the cut, no offset');
    assert.equal(rec.connects.length, 1, 'the comments were all posted before the client reconnected');
    const outcome = await reconnected;
    await assertRecovered(rec, outcome, { idBefore, reportId: report.id, before: [], missed });
    assert.ok(!rec.payloads().some((p) => p.id === earlier.id), 'the comment from before the join was not replayed');
  });
});

describe('recovered from the database', () => {
  test('SIGKILL: reportd killed during the cut and restarted on the same database (SQLite; PostgreSQL with E2E_DATABASE=postgres); the client recovers its id, gets the 3 missed comments once, in order, then a new one', T, async (t) => {
    const own = await startReportd({ users: [{ username: 'crashop', role: 'operator', internal: true }] });
    extraServers.add(own);
    const token = await login(own.url, 'crashop', own.users.crashop.password);
    const report = await createReport(own.url, token);
    const rec = await follower(own.url, token, { transports: ['websocket'] });
    const idBefore = rec.socket.id;
    await join(rec.socket, report.id);
    const first = await postComment(report.id, 'before the kill', { url: own.url, token });
    await rec.waitForEvents(1);
    await sleep(SETTLE_MS);

    await cut(rec.socket);
    const missed = await postComments(report.id, 3, 'before the kill, during the cut', { url: own.url, token });
    const { signal } = await own.crash();
    assert.equal(signal, 'SIGKILL');
    await own.restart();
    rec.socket.io.uri = own.url; // restart() keeps the port; the same line would follow a new one
    const outcome = await reconnectNow(rec.socket, 'reconnection after the restart');
    t.diagnostic(`after the restart: ${JSON.stringify(outcome)}`);
    await assertRecovered(rec, outcome, { idBefore, reportId: report.id, before: [first], missed, post: { url: own.url, token } });
  });
});

describe('recovered on another node (PostgreSQL + Redis)', () => {
  let postgres;
  let redis;
  let nodes = [];
  let token;

  before(async () => {
    postgres = await startPostgres();
    redis = await startRedis();
    postgres.createDatabase('recovery');
    const env = { DATABASE_URL: postgres.url('recovery'), REDIS_URL: redis.url, JWT_SECRET: randomSecret() };
    const [a, b] = await Promise.all([
      startReportd({ env, users: [{ username: 'nodeop', role: 'operator', internal: true }] }),
      startReportd({ env }),
    ]);
    nodes = [a, b];
    token = await login(a.url, 'nodeop', a.users.nodeop.password);
  });

  after(async () => {
    await Promise.allSettled(nodes.map((n) => n.stop()));
    await redis?.dispose();
    postgres?.stop();
  });

  afterEach((t) => printLogIfFailed(t, ...nodes));

  test('cut on node A, 3 comments posted on A, reconnection to node B: recovered with the 3 once, in order; a comment posted on A then reaches it through Redis once', T, async () => {
    const [a, b] = nodes;
    const report = await createReport(a.url, token);
    const rec = await follower(a.url, token, { transports: ['websocket'] });
    const idBefore = rec.socket.id;
    await join(rec.socket, report.id);
    const first = await postComment(report.id, 'on node A, before the cut', { url: a.url, token });
    await rec.waitForEvents(1);
    await sleep(SETTLE_MS);

    await cut(rec.socket);
    const missed = await postComments(report.id, 3, 'on node A, during the cut', { url: a.url, token });
    rec.socket.io.uri = `${b.url}${LIVE_NSP}`;
    const outcome = await reconnectNow(rec.socket, 'reconnection to node B');
    await assertRecovered(rec, outcome, { idBefore, reportId: report.id, before: [first], missed, post: { url: a.url, token } });
    assert.equal(rec.socket.io.engine.transport.name, 'websocket');
    assert.match(rec.socket.io.uri, new RegExp(`:${b.port}/`), 'connected to node B');
  });
});

describe('not recovered', () => {
  test('after the client\'s own socket.disconnect(), socket.connect() is a new session: recovered false, a new id, not in the room, nothing replayed', T, async () => {
    const report = await createReport();
    const rec = await follower(srv.url, tok.op1, { transports: ['websocket'] });
    const idBefore = rec.socket.id;
    await join(rec.socket, report.id);
    const first = await postComment(report.id, 'before the disconnect');
    await rec.waitForEvents(1);
    await sleep(SETTLE_MS);

    rec.socket.disconnect();
    await postComment(report.id, 'while disconnected on purpose');
    const outcome = await reconnectNow(rec.socket, 'connect after disconnect()');
    assert.equal(outcome.kind, 'connect', JSON.stringify(outcome));
    assert.equal(outcome.recovered, false, 'not recovered');
    assert.notEqual(outcome.id, idBefore, 'a new socket id');
    await postComment(report.id, 'after the new connect');
    await sleep(QUIET_MS);
    assert.deepEqual(rec.events, withOffset([first]), 'nothing replayed, and no longer in the room');
    await join(rec.socket, report.id);
    const later = await postComment(report.id, 'after joining again');
    await rec.waitForEvents(2);
    assert.deepEqual(rec.events, withOffset([first, later]));
  });

  test('RECOVERY_SECONDS=1: a cut of more than 2.5 s is a new session (new id, not in the room); after joining again comments arrive', T, async () => {
    const short = await startReportd({ users: [{ username: 'shortop', role: 'operator', internal: true }], env: { RECOVERY_SECONDS: '1' } });
    extraServers.add(short);
    const token = await login(short.url, 'shortop', short.users.shortop.password);
    const report = await createReport(short.url, token);
    const opts = { url: short.url, token };
    const rec = await follower(short.url, token, { transports: ['websocket'] });
    const idBefore = rec.socket.id;
    await join(rec.socket, report.id);
    const first = await postComment(report.id, 'before the cut', opts);
    await rec.waitForEvents(1);
    await sleep(SETTLE_MS);

    await cut(rec.socket);
    await postComment(report.id, 'during the long cut', opts);
    await sleep(2600);
    const outcome = await reconnectNow(rec.socket, 'reconnection after 2.6 s');
    assert.equal(outcome.kind, 'connect', JSON.stringify(outcome));
    assert.equal(outcome.recovered, false, 'not recovered after the window');
    assert.notEqual(outcome.id, idBefore, 'a new socket id');
    await postComment(report.id, 'after the reconnection, before joining again', opts);
    await sleep(QUIET_MS);
    assert.deepEqual(rec.events, withOffset([first]), 'nothing replayed, and not in the room');
    await join(rec.socket, report.id);
    const later = await postComment(report.id, 'after joining again', opts);
    await rec.waitForEvents(2);
    assert.deepEqual(rec.events, withOffset([first, later]));
  });

  test('RECOVERY_SECONDS=0: no pid, comment.created has the payload alone, and a cut is a new session', T, async () => {
    const off = await startReportd({ users: [{ username: 'offop', role: 'operator', internal: true }], env: { RECOVERY_SECONDS: '0' } });
    extraServers.add(off);
    const token = await login(off.url, 'offop', off.users.offop.password);
    const report = await createReport(off.url, token);
    const opts = { url: off.url, token };
    const rec = await follower(off.url, token, { transports: ['websocket'] });
    // The client keeps the CONNECT reply's pid in a private field; there must be none.
    assert.equal(rec.socket._pid, undefined, 'no pid in the CONNECT reply');
    const idBefore = rec.socket.id;
    await join(rec.socket, report.id);
    const first = await postComment(report.id, 'before the cut', opts);
    await rec.waitForEvents(1);
    assert.deepEqual(rec.events, [[first]], 'comment.created has a single argument');
    await sleep(SETTLE_MS);

    await cut(rec.socket);
    await postComment(report.id, 'during the cut', opts);
    const outcome = await reconnectNow(rec.socket, 'reconnection without recovery');
    assert.equal(outcome.kind, 'connect', JSON.stringify(outcome));
    // Without a pid in the CONNECT reply the official client leaves `recovered` undefined.
    assert.ok(!outcome.recovered, `not recovered (${outcome.recovered})`);
    assert.notEqual(outcome.id, idBefore, 'a new socket id');
    await sleep(QUIET_MS);
    assert.deepEqual(rec.events, [[first]], 'nothing replayed, and not in the room');
    await join(rec.socket, report.id);
    const later = await postComment(report.id, 'after joining again', opts);
    await rec.waitForEvents(2);
    assert.deepEqual(rec.events, [[first], [later]]);
  });
});

describe('not recovered: refused by the middleware on reconnection', () => {
  test('a user deactivated during the cut gets connect_error "unauthorized" and none of the missed comments', T, async () => {
    const report = await createReport();
    const rec = await follower(srv.url, tok.leaver, { transports: ['websocket'] });
    await join(rec.socket, report.id);
    const first = await postComment(report.id, 'before the cut');
    await rec.waitForEvents(1);
    await sleep(SETTLE_MS);

    await cut(rec.socket);
    await postComments(report.id, 3, 'during the cut, then deactivated');
    const off = srv.run(['user', 'deactivate', '--username', 'leaver']);
    assert.equal(off.status, 0, `reportd user deactivate: ${off.stdout}${off.stderr}`);
    const outcome = await reconnectNow(rec.socket, 'reconnection of a deactivated user');
    await sleep(QUIET_MS);
    assert.deepEqual(outcome, { kind: 'connect_error', message: 'unauthorized', data: { code: 401 } });
    assert.deepEqual(rec.events, withOffset([first]), 'no missed comment delivered');
    assert.equal(rec.connects.length, 1, `never connected again: ${JSON.stringify(rec.connects)}`);
  });

  test('a token that expired during the cut gets connect_error "unauthorized" and none of the missed comments', T, async (t) => {
    const report = await createReport();
    const now = Math.floor(Date.now() / 1000);
    const exp = now + 2;
    const token = signJwt({ sub: String(srv.users.op3.id), role: 'operator', internal: true, iat: now, exp, iss: 'reportd' }, srv.secret);
    const rec = await follower(srv.url, token, { transports: ['websocket'] });
    await join(rec.socket, report.id);
    const first = await postComment(report.id, 'before the cut');
    await rec.waitForEvents(1);
    await sleep(SETTLE_MS);

    await cut(rec.socket);
    assert.ok(Date.now() < exp * 1000, 'cut before the token expired');
    await postComments(report.id, 3, 'during the cut, then expired');
    await sleep(Math.max(0, exp * 1000 + 200 - Date.now()));
    const outcome = await reconnectNow(rec.socket, 'reconnection with an expired token');
    await sleep(QUIET_MS);
    t.diagnostic(`outcome ${JSON.stringify(outcome)}; connects ${JSON.stringify(rec.connects)}; disconnects ${JSON.stringify(rec.disconnects)}; events ${rec.events.length}`);
    assert.deepEqual(rec.events, withOffset([first]), 'no missed comment delivered after the token expired');
    assert.deepEqual(outcome, { kind: 'connect_error', message: 'unauthorized', data: { code: 401 } });
  });
});

describe('1,000 missed comments', () => {
  const MISSED = 1000;
  const BATCH = 20;

  /** Posts n comments in concurrent batches of BATCH; resolves their 201 bodies in id order. */
  async function postMany(reportId, n) {
    const writers = [tok.op1, tok.op2, tok.op3];
    const bodies = [];
    for (let i = 0; i < n; i += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(BATCH, n - i) }, (_, k) =>
          postComment(reportId, `missed ${i + k}`, { token: writers[(i + k) % writers.length] }),
        ),
      );
      bodies.push(...batch);
    }
    bodies.sort((x, y) => x.id - y.id);
    assert.equal(new Set(bodies.map((b) => b.id)).size, n, `${n} distinct comments`);
    return bodies;
  }

  test(`${MISSED} comments missed during a cut are replayed in id order, each once; a client in another room meanwhile is not held up`, { timeout: 60000 }, async (t) => {
    const report = await createReport();
    const otherReport = await createReport(srv.url, tok.alice, 'another room');
    const rec = await follower(srv.url, tok.op1, { transports: ['websocket'] });
    const idBefore = rec.socket.id;
    const healthy = await follower(srv.url, tok.op2, { transports: ['websocket'] });
    await join(rec.socket, report.id);
    await join(healthy.socket, otherReport.id);
    const first = await postComment(report.id, 'before the cut');
    await rec.waitForEvents(1);
    await sleep(SETTLE_MS);

    await cut(rec.socket);
    const postStart = Date.now();
    const missed = await postMany(report.id, MISSED);
    const postMs = Date.now() - postStart;

    // As soon as the replay has begun, a comment for the healthy client's room.
    let healthyPost;
    let replayedAtPost;
    const replayBegun = rec.waitForEvents(2, 10000).then(() => {
      replayedAtPost = rec.events.length - 1;
      const started = Date.now();
      healthyPost = postComment(otherReport.id, 'for the other room, during the replay', { token: tok.op3 }).then((body) => ({ body, started }));
      return healthyPost;
    });
    replayBegun.catch(() => {}); // awaited below, unless the test failed before
    const reconnectStart = Date.now();
    const outcome = await reconnectNow(rec.socket, `reconnection with ${MISSED} missed`);
    assert.deepEqual(outcome, { kind: 'connect', id: idBefore, recovered: true }, 'recovered, with the same socket id');
    const { body: other, started } = await replayBegun;
    await healthy.waitForEvents(1, 5000);
    const healthyMs = Date.now() - started;
    const replayedAtHealthy = rec.events.length - 1;
    await rec.waitForEvents(1 + MISSED, 20000);
    const replayMs = Date.now() - reconnectStart;
    await sleep(QUIET_MS);
    t.diagnostic(
      `${MISSED} comments posted in ${postMs} ms; replay complete ${replayMs} ms after connect(); ` +
        `the other room's comment was posted after ${replayedAtPost} replayed and arrived after ${healthyMs} ms ` +
        `(${replayedAtHealthy} replayed by then)`,
    );
    assert.deepEqual(healthy.events, withOffset([other]), 'the healthy client got its comment once');
    assert.ok(healthyMs < 2000, `the healthy client got its comment ${healthyMs} ms after it was posted`);
    assert.equal(rec.events.length, 1 + MISSED, `exactly ${1 + MISSED} comment.created`);
    assert.deepEqual(rec.events.map((a) => a[0].id), [first, ...missed].map((b) => b.id), 'each once, in id order');
    assert.deepEqual(rec.events, withOffset([first, ...missed]), 'payloads equal the 201 bodies');

    const fresh = await postComment(report.id, 'after the replay');
    await rec.waitForEvents(2 + MISSED, 5000);
    await sleep(QUIET_MS);
    assert.equal(rec.events.length, 2 + MISSED);
    assert.deepEqual(rec.events.at(-1), [fresh, String(fresh.id)]);
    assert.equal(rec.joins(), 1, 'no re-join');
  });

  test(`${MISSED + 1} missed comments are too many: a new session (recovered false, a new id), nothing replayed, not in the room`, { timeout: 60000 }, async () => {
    const report = await createReport();
    const rec = await follower(srv.url, tok.op2, { transports: ['websocket'] });
    const idBefore = rec.socket.id;
    await join(rec.socket, report.id);
    const first = await postComment(report.id, 'before the cut');
    await rec.waitForEvents(1);
    await sleep(SETTLE_MS);

    await cut(rec.socket);
    const missed = await postMany(report.id, MISSED + 1);
    const outcome = await reconnectNow(rec.socket, `reconnection with ${MISSED + 1} missed`);
    await sleep(QUIET_MS);
    const replayed = rec.payloads().slice(1);
    assert.deepEqual(
      { kind: outcome.kind, recovered: outcome.recovered, sameId: outcome.id === idBefore, replayed: replayed.length },
      { kind: 'connect', recovered: false, sameId: false, replayed: 0 },
      `a new session, nothing replayed (missed ids ${missed[0].id}..${missed.at(-1).id}; ` +
        `replayed ${replayed.length ? `ids ${replayed[0].id}..${replayed.at(-1).id}` : 'none'})`,
    );
    await postComment(report.id, 'after the reconnection, before joining again');
    await sleep(QUIET_MS);
    assert.deepEqual(rec.events, withOffset([first]), 'not in the room');
  });
});
