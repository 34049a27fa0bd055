// reportd with REDIS_URL (SQLite, one node) beside a Node.js socket.io 4.8 server with
// @socket.io/redis-adapter on the same Redis and the same /ws/internal namespace: a comment
// posted to reportd reaches a client of the Node server in the report's room, a broadcast of
// the Node server reaches reportd's client; /readyz stays 200 but says "redis":"unavailable"
// while Redis is down, and /metrics counts the broadcasts that could not be published.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { sleep } from './lib/server.mjs';
import { startRedis } from './lib/redis.mjs';
import { startReportd, api, login, connectLive, closeLive, emitAck, collectEvents, LIVE_NSP } from './lib/reportd.mjs';

const T = { timeout: 30000 };

let redis;
let reportd;
let node; // the Node.js node
let token;

async function until(what, check, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const readyz = () => api(reportd.url, 'GET', '/readyz');
const metric = async (name) => {
  const { text } = await api(reportd.url, 'GET', '/metrics');
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};

before(async () => {
  redis = await startRedis();
  reportd = await startReportd({
    users: [{ username: 'op', role: 'operator', internal: true }],
    env: { REDIS_URL: redis.url },
  });
  token = await login(reportd.url, 'op', reportd.users.op.password);
  const pub = createClient({ url: redis.url });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(pub, sub) });
  io.of(LIVE_NSP).on('connection', (socket) => socket.on('join', (room) => socket.join(room)));
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  node = { io, pub, sub, url: `http://127.0.0.1:${httpServer.address().port}` };
  await until('reportd ready with redis', async () => (await readyz()).json?.redis === 'ok');
});

after(async () => {
  node?.io.close();
  await Promise.allSettled([node?.pub.quit(), node?.sub.quit()]);
  if (reportd) assert.equal((await reportd.stop()).code, 0);
  if (redis) await redis.dispose();
});

test('comments cross between reportd and a Node.js node, both ways', T, async () => {
  const report = await api(reportd.url, 'POST', '/api/reports', {
    token,
    body: { title: 'Pothole', description: 'Deep one' },
  });
  assert.equal(report.status, 201);
  const room = `report:${report.json.id}`;

  const live = await connectLive(reportd.url, { auth: { token } });
  assert.equal((await emitAck(live, 'join_report', { reportId: report.json.id })).ok, true);
  const nodeClient = connect(`${node.url}${LIVE_NSP}`, { transports: ['websocket'], forceNew: true });
  await new Promise((resolve) => nodeClient.once('connect', resolve));
  nodeClient.emit('join', room);
  await sleep(100);
  const atNode = collectEvents(nodeClient, 'comment.created');
  const atReportd = collectEvents(live, 'comment.created');

  const created = await api(reportd.url, 'POST', `/api/reports/${report.json.id}/comments`, {
    token,
    body: { comment: 'On my way' },
  });
  assert.equal(created.status, 201);
  const [received] = await atNode.waitForCount(1, 5000);
  assert.deepEqual(received, created.json);

  node.io.of(LIVE_NSP).to(room).emit('comment.created', { id: 0, comment: 'from node' });
  const got = await atReportd.waitForCount(2, 5000);
  assert.equal(got.length, 2);
  nodeClient.disconnect();
  closeLive(live);
});

test('/readyz reports Redis down (still 200: every node is cut off alike, and each still serves its own clients), and failed publishes are counted', T, async () => {
  assert.equal(await metric('reportd_redis_connected'), 1);
  const failures = await metric('reportd_redis_publish_failures_total');
  assert.equal(typeof failures, 'number');

  await redis.stop();
  await until('readyz reports redis unavailable', async () => (await readyz()).json?.redis === 'unavailable');
  const r = await readyz();
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { status: 'ready', database: 'ok', redis: 'unavailable' });
  assert.equal(await metric('reportd_redis_connected'), 0);

  // A comment is still created and announced locally; its publish fails and is counted.
  const report = await api(reportd.url, 'POST', '/api/reports', { token, body: { title: 'T', description: 'D' } });
  const posted = await api(reportd.url, 'POST', `/api/reports/${report.json.id}/comments`, {
    token,
    body: { comment: 'while down' },
  });
  assert.equal(posted.status, 201);
  await until('failure counted', async () => (await metric('reportd_redis_publish_failures_total')) > failures);

  await redis.start();
  await until('readyz reports redis ok again', async () => (await readyz()).json?.redis === 'ok');
});
