// Several reportd nodes as production runs them (README "Running several nodes"): one
// PostgreSQL database and one Redis shared by two nodes, and nginx in front of them with the
// repository's own configuration. Every server is a throwaway started here on free loopback
// ports and stopped by PID.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startNginx } from './lib/nginx.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { startRedis } from './lib/redis.mjs';
import { printLogIfFailed, sleep, withTimeout } from './lib/server.mjs';
import {
  LIVE_NSP,
  api,
  closeLive,
  collectEvents,
  connectLive,
  emitAck,
  login,
  randomSecret,
  startReportd,
} from './lib/reportd.mjs';

const T = { timeout: 30000 };
/** After the expected deliveries, how long to watch for a duplicate or a leak. */
const QUIET_MS = 500;
/** The contract of `reportd user deactivate` across nodes. */
const DEACTIVATION_MS = 2000;
const SLACK_MS = 500;
/** The per-address session cap of both nodes (the tests' own sockets come from 127.0.0.1). */
const SESSION_CAP = 20;

let postgres;
let redis;
let nodes = [];
let reportIds = [];
let tokens = {};
const opened = new Set();

/** Two nodes on one database and one Redis; users and reports created through the first. */
before(async () => {
  postgres = await startPostgres();
  redis = await startRedis();
  postgres.createDatabase('cluster');
  const env = {
    DATABASE_URL: postgres.url('cluster'),
    REDIS_URL: redis.url,
    JWT_SECRET: randomSecret(),
    USER_RECHECK_SECONDS: '0', // deactivation must travel through the feed, not a recheck
    MAX_SESSIONS_PER_ADDRESS: String(SESSION_CAP),
  };
  const first = await startReportd({
    env,
    users: [
      { username: 'anna', role: 'operator', internal: true },
      { username: 'bruno', role: 'operator', internal: true },
      { username: 'carla', role: 'operator', internal: true },
    ],
  });
  const second = await startReportd({ env });
  nodes = [first, second];
  for (const name of ['anna', 'bruno', 'carla']) {
    tokens[name] = await login(first.url, name, first.users[name].password);
  }
  for (const title of ['lamp', 'bench']) {
    const r = await api(first.url, 'POST', '/api/reports', {
      token: tokens.anna,
      body: { title, description: `a broken ${title}` },
    });
    assert.equal(r.status, 201, r.text);
    reportIds.push(r.json.id);
  }
});

after(async () => {
  for (const s of opened) closeLive(s);
  await Promise.allSettled(nodes.map((n) => n.stop()));
  await redis?.dispose();
  await postgres?.stop();
});

afterEach((t) => {
  for (const s of opened) closeLive(s);
  opened.clear();
  printLogIfFailed(t, ...nodes);
});

async function member(node, token, reportId, opts = {}) {
  const socket = await connectLive(node.url, { auth: { token }, ...opts });
  opened.add(socket);
  if (reportId !== undefined) {
    const ack = await emitAck(socket, 'join_report', { reportId });
    assert.equal(ack.ok, true, `join_report ${reportId}: ${JSON.stringify(ack)}`);
  }
  return socket;
}

async function postComment(node, reportId, comment, token = tokens.anna) {
  const r = await api(node.url, 'POST', `/api/reports/${reportId}/comments`, { token, body: { comment } });
  assert.equal(r.status, 201, `comment on report ${reportId} through ${node.url}: ${r.status} ${r.text}`);
  return r.json;
}

describe('two reportd nodes on one PostgreSQL and one Redis', () => {
  test('a comment posted on either node reaches the room members on both, exactly once, equal to the 201 body; other rooms get nothing', T, async () => {
    const [one, two] = nodes;
    const onOne = collectEvents(await member(one, tokens.bruno, reportIds[0]), 'comment.created');
    const onTwo = collectEvents(await member(two, tokens.carla, reportIds[0]), 'comment.created');
    const elsewhere = collectEvents(await member(two, tokens.bruno, reportIds[1]), 'comment.created');

    const first = await postComment(one, reportIds[0], 'posted on node one');
    const second = await postComment(two, reportIds[0], 'posted on node two');
    for (const [events, where] of [[onOne, 'node one'], [onTwo, 'node two']]) {
      const got = await events.waitForCount(2, 5000);
      await sleep(QUIET_MS);
      assert.deepEqual(events.items, [first, second], `the member on ${where} got each comment once, as its 201 body, in order`);
      assert.equal(got.length, 2);
    }
    assert.deepEqual(elsewhere.items, [], 'a member of another report got nothing');
  });

  test('reportd user deactivate, run against the shared database, ends the user\'s sockets on both nodes within 2 s and their tokens fail on REST at once; an unknown user is an error', T, async () => {
    const [one, two] = nodes;
    const dave = one.addUser({ username: 'dave', role: 'operator', internal: true });
    const token = await login(two.url, "dave", dave.password);
    const sockets = [await member(one, token, reportIds[0]), await member(two, token, reportIds[0])];
    const gone = sockets.map((s) => new Promise((resolve) => s.once('disconnect', (reason) => resolve(reason))));

    const started = Date.now();
    const r = one.run(['user', 'deactivate', '--username', 'dave']);
    assert.equal(r.status, 0, `deactivate: ${r.stdout}${r.stderr}`);
    for (const node of nodes) {
      const me = await api(node.url, 'GET', '/api/auth/me', { token });
      assert.equal(me.status, 401, `REST on ${node.url} right after the deactivation: ${me.status} ${me.text}`);
    }
    const reasons = await withTimeout(Promise.all(gone), DEACTIVATION_MS + SLACK_MS, 'both sockets disconnected');
    assert.deepEqual(reasons, ['io server disconnect', 'io server disconnect']);
    assert.ok(Date.now() - started <= DEACTIVATION_MS + SLACK_MS, `both sockets ended ${Date.now() - started} ms after the command`);

    const unknown = two.run(['user', 'deactivate', '--username', 'nobody-at-all']);
    assert.notEqual(unknown.status, 0, 'deactivating an unknown user fails');
    assert.match(`${unknown.stdout}${unknown.stderr}`, /no such user/);
  });

  test('login failures count across the nodes: 5 for one username from one address, spread over both, lock that pair out on both', T, async () => {
    const from = '127.0.2.10';
    const attempt = (node, password) =>
      api(node.url, 'POST', '/api/auth/login', { body: { username: 'carla', password }, localAddress: from });
    for (let i = 0; i < 5; i++) {
      const r = await attempt(nodes[i % 2], 'wrong-password');
      assert.equal(r.status, 401, `failure ${i + 1}: ${r.status} ${r.text}`);
    }
    for (const node of nodes) {
      const r = await attempt(node, nodes[0].users.carla.password);
      assert.equal(r.status, 429, `the right password on ${node.url} after 5 failures over both nodes: ${r.status} ${r.text}`);
    }
  });

  test(`the per-address session cap (${SESSION_CAP}) holds over both nodes together`, T, async () => {
    const from = '127.0.3.1';
    const handshake = (node) =>
      api(node.url, 'GET', '/socket.io/?EIO=4&transport=polling', { localAddress: from });
    for (let i = 0; i < SESSION_CAP; i++) {
      const r = await handshake(nodes[i % 2]);
      assert.equal(r.status, 200, `session ${i + 1} of ${SESSION_CAP}, on node ${(i % 2) + 1}: ${r.status} ${r.text}`);
    }
    for (const node of nodes) {
      const r = await handshake(node);
      assert.equal(r.status, 429, `one more on ${node.url}: ${r.status} ${r.text}`);
    }
  });

  test('Redis restarted: each node keeps delivering locally meanwhile, and delivery across nodes resumes without restarting reportd', T, async () => {
    const [one, two] = nodes;
    const local = collectEvents(await member(one, tokens.bruno, reportIds[1]), 'comment.created');
    const remote = collectEvents(await member(two, tokens.carla, reportIds[1]), 'comment.created');
    await redis.stop();
    const during = await postComment(one, reportIds[1], 'while Redis is down');
    await local.waitForCount(1, 5000);
    assert.deepEqual(local.items, [during], 'local delivery goes on without Redis');

    await redis.start();
    const deadline = Date.now() + 15000;
    let after;
    while (Date.now() < deadline) {
      after = await postComment(one, reportIds[1], `after Redis came back ${Date.now()}`);
      try {
        await remote.waitForCount(remote.items.length + 1, 1000);
        break;
      } catch {
        // not resubscribed yet: try again
      }
    }
    assert.deepEqual(remote.items.at(-1), after, 'a comment posted on node one reached node two again');
  });
});

describe('behind nginx (deploy/nginx/reportd.conf)', () => {
  let nginx;
  before(async () => {
    nginx = await startNginx(nodes.map((n) => n.port));
  });
  after(async () => {
    await nginx?.stop();
  });

  test('the official client with default options connects through nginx (polling, then the upgrade), joins and receives; when its node is killed it reconnects through nginx to the other node and receives later comments', { timeout: 60000 }, async () => {
    const reportId = reportIds[0];
    // As the spec's client does: join on every connect, so that a reconnection joins again.
    const socket = io(`${nginx.url}${LIVE_NSP}`, { auth: { token: tokens.bruno }, forceNew: true });
    opened.add(socket);
    const joins = [];
    socket.on('connect', () => joins.push(emitAck(socket, 'join_report', { reportId })));
    const events = collectEvents(socket, 'comment.created');
    await withTimeout(new Promise((resolve) => socket.once('connect', resolve)), 10000, 'connect through nginx');
    await joins[0];
    await withTimeout(new Promise((resolve) => {
      if (socket.io.engine.transport.name === 'websocket') resolve();
      else socket.io.engine.once('upgrade', resolve);
    }), 10000, 'upgrade to WebSocket through nginx');

    const first = await postComment({ url: nginx.url }, reportId, 'through nginx');
    await events.waitForCount(1, 5000);
    assert.deepEqual(events.items, [first]);

    // The node that holds the client: the one whose gauge counts a live socket.
    const holders = [];
    for (const node of nodes) {
      const metrics = await api(node.url, 'GET', '/metrics');
      if (/^reportd_live_sockets [1-9]/m.test(metrics.text)) holders.push(node);
    }
    assert.equal(holders.length, 1, 'exactly one node holds the client');
    const [holder] = holders;
    const survivor = nodes.find((n) => n !== holder);
    await holder.crash();

    await withTimeout(new Promise((resolve) => socket.once('connect', resolve)), 20000, 'reconnection through nginx');
    await joins.at(-1);
    const later = await postComment(survivor, reportId, 'after the node died');
    await events.waitForCount(2, 5000);
    assert.deepEqual(events.items.at(-1), later);
    await holder.restart();
  });
});

describe('two nodes on one host sharing a SQLite file and Redis', () => {
  test('a comment posted on one node reaches a member on the other, and a deactivation reaches both', T, async () => {
    const env = { REDIS_URL: redis.url, REDIS_PREFIX: 'sqlite-pair', JWT_SECRET: randomSecret() };
    const one = await startReportd({ env, users: [{ username: 'erik', role: 'operator', internal: true }] });
    const two = await startReportd({ env: { ...env, DATABASE_URL: one.env.DATABASE_URL } });
    try {
      const token = await login(two.url, 'erik', one.users.erik.password);
      const report = await api(one.url, 'POST', '/api/reports', { token, body: { title: 't', description: 'd' } });
      assert.equal(report.status, 201, report.text);
      const remote = await member(two, token, report.json.id);
      const events = collectEvents(remote, 'comment.created');
      const posted = await postComment(one, report.json.id, 'from node one', token);
      await events.waitForCount(1, 5000);
      await sleep(QUIET_MS);
      assert.deepEqual(events.items, [posted]);

      const gone = new Promise((resolve) => remote.once('disconnect', resolve));
      assert.equal(one.run(['user', 'deactivate', '--username', 'erik']).status, 0);
      assert.equal(await withTimeout(gone, DEACTIVATION_MS + SLACK_MS, 'disconnect on node two'), 'io server disconnect');
    } finally {
      await two.stop();
      await one.stop();
    }
  });
});
