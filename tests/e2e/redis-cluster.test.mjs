// A mixed cluster on one Redis (started by the test): the C++ socketio-test-server with
// REDIS_URL (its /rooms namespace on socketio::RedisAdapter) and a Node.js socket.io 4.8 server
// with @socket.io/redis-adapter 8 (createAdapter(pub, sub), redis 4 clients), each with
// socket.io-client clients. Broadcasts cross both ways exactly once; Node's fetchSockets,
// socketsJoin, socketsLeave, disconnectSockets, serverSideEmitWithAck and broadcasts with acks
// act on the C++ node without waiting for the Node adapter's 5 s timeout; after a Redis restart
// delivery resumes without restarting either node.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { startServer, printLogIfFailed, socketioTestServerBin, sleep, withTimeout } from './lib/server.mjs';
import { startRedis } from './lib/redis.mjs';

const T = { timeout: 30000 };
const NSP = '/rooms';

let redis;
let cpp; // the C++ node
let node; // { io, httpServer, url, pub, sub }
const clients = new Set();

async function startNodeNode(redisUrl) {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on('error', () => {}); // reconnects by itself
  await Promise.all([pub.connect(), sub.connect()]);
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: createAdapter(pub, sub) });
  io.of(NSP).on('connection', (socket) => {
    socket.on('join', (room, ack) => {
      socket.join(room);
      ack?.({ ok: true });
    });
  });
  await new Promise((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  return { io, httpServer, pub, sub, url: `http://127.0.0.1:${httpServer.address().port}` };
}

async function client(url) {
  const socket = connect(`${url}${NSP}`, { transports: ['websocket'], forceNew: true, reconnection: false });
  clients.add(socket);
  await withTimeout(new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  }), 5000, `connect to ${url}`);
  return socket;
}

async function joined(url, room) {
  const socket = await client(url);
  await socket.timeout(3000).emitWithAck('join', room);
  return socket;
}

/** Every `event` the socket receives, in order. */
function record(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args));
  return got;
}

async function until(what, check, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function cppRedisState(socket) {
  return socket.timeout(2000).emitWithAck('redis');
}

async function bothReady(probe) {
  await until('both nodes connected to redis', async () =>
    node.pub.isReady && node.sub.isReady && (await cppRedisState(probe).catch(() => ({}))).ready === true,
  10000);
  // The subscriptions of a node that just connected take a moment on the Redis side.
  await until('two nodes subscribed to the request channel', async () => {
    const counts = await node.pub.pubSubNumSub(`socket.io-request#${NSP}#`);
    return counts[`socket.io-request#${NSP}#`] === 2;
  });
}

before(async () => {
  redis = await startRedis();
  cpp = await startServer({ bin: socketioTestServerBin, env: { REDIS_URL: redis.url } });
  node = await startNodeNode(redis.url);
  const probe = await client(cpp.url);
  await bothReady(probe);
  probe.disconnect();
});

after(async () => {
  for (const s of clients) s.disconnect();
  if (node) {
    node.io.close();
    await Promise.allSettled([node.pub.quit(), node.sub.quit()]);
  }
  if (cpp) {
    const { code } = await cpp.stop();
    assert.equal(code, 0);
  }
  if (redis) await redis.dispose();
});

afterEach((t) => {
  printLogIfFailed(t, cpp);
  for (const s of clients) s.disconnect();
  clients.clear();
});

test('a broadcast to a room crosses both ways exactly once, binary included', T, async () => {
  const cppMember = await joined(cpp.url, 'r');
  const nodeMember = await joined(node.url, 'r');
  const cppOutsider = await joined(cpp.url, 'elsewhere');
  const nodeOutsider = await joined(node.url, 'elsewhere');
  const got = [cppMember, nodeMember, cppOutsider, nodeOutsider].map((s) => record(s, 'news'));
  const bins = record(cppMember, 'bin');

  node.io.of(NSP).to('r').emit('news', 'from node', { n: 1 });
  await cppMember.timeout(3000).emitWithAck('broadcast', { rooms: ['r'], event: 'news', args: ['from c++'] });
  node.io.of(NSP).to('r').emit('bin', Buffer.from([1, 2, 3]));
  await until('both members got both', () => got[0].length === 2 && got[1].length === 2 && bins.length === 1);
  await sleep(300); // anything extra would have come by now
  for (const member of [got[0], got[1]]) {
    assert.deepEqual(
      member.map((args) => args[0]).sort(),
      ['from c++', 'from node'],
    );
  }
  assert.deepEqual(got[0].find((args) => args[0] === 'from node'), ['from node', { n: 1 }]);
  assert.deepEqual(got[2], []);
  assert.deepEqual(got[3], []);
  assert.deepEqual([...bins[0][0]], [1, 2, 3]);
});

test('fetchSockets on the Node server lists the C++ sockets with their rooms within 1 s', T, async () => {
  const cppMember = await joined(cpp.url, 'team');
  const nodeMember = await joined(node.url, 'team');
  const started = Date.now();
  const sockets = await node.io.of(NSP).in('team').fetchSockets();
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 1000, `fetchSockets took ${elapsed} ms`);
  const byId = new Map(sockets.map((s) => [s.id, s]));
  assert.equal(byId.size, 2);
  assert.ok(byId.has(nodeMember.id));
  const remote = byId.get(cppMember.id);
  assert.ok(remote, 'the C++ socket is listed');
  assert.deepEqual([...remote.rooms].sort(), [cppMember.id, 'team'].sort());
  assert.equal(remote.handshake.query.EIO, '4');
});

test('socketsJoin, socketsLeave and disconnectSockets on Node act on the C++ sockets', T, async () => {
  const cppMember = await joined(cpp.url, 'crew');
  const nsp = node.io.of(NSP);
  const roomsOf = () => cppMember.timeout(2000).emitWithAck('rooms');

  nsp.in('crew').socketsJoin('extra');
  await until('joined extra', async () => (await roomsOf()).includes('extra'));
  nsp.in(cppMember.id).socketsLeave('crew');
  await until('left crew', async () => !(await roomsOf()).includes('crew'));

  const reason = new Promise((resolve) => cppMember.once('disconnect', resolve));
  nsp.in('extra').disconnectSockets();
  assert.equal(await withTimeout(reason, 3000, 'disconnect'), 'io server disconnect');
});

test('serverSideEmitWithAck from Node is answered by the C++ node at once', T, async () => {
  const started = Date.now();
  const answers = await node.io.of(NSP).serverSideEmitWithAck('hello', 1);
  assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  assert.deepEqual(answers, ['cpp:hello']);
  node.io.of(NSP).serverSideEmit('no-ack'); // nothing to wait for, nothing to break
});

test("a broadcast with acks from Node gets the C++ clients' acks", T, async () => {
  const cppMember = await joined(cpp.url, 'asked');
  const nodeMember = await joined(node.url, 'asked');
  cppMember.on('question', (q, ack) => ack(`c++ answers ${q}`));
  nodeMember.on('question', (q, ack) => ack(`node answers ${q}`));
  const started = Date.now();
  const answers = await node.io.of(NSP).to('asked').timeout(1000).emitWithAck('question', 'q1');
  assert.ok(Date.now() - started < 1000);
  assert.deepEqual(answers.sort(), ['c++ answers q1', 'node answers q1']);
});

test('after a Redis restart delivery across nodes resumes, neither node restarted', T, async () => {
  const cppMember = await joined(cpp.url, 'after');
  const nodeMember = await joined(node.url, 'after');
  const cppGot = record(cppMember, 'news');
  const nodeGot = record(nodeMember, 'news');

  await redis.stop();
  await until('the C++ node sees Redis gone', async () => (await cppRedisState(cppMember)).ready === false);
  // Local delivery goes on; the publish is counted as failed.
  const before = (await cppRedisState(cppMember)).publishFailures;
  await cppMember.timeout(3000).emitWithAck('broadcast', { rooms: ['after'], event: 'news', args: ['while down'] });
  await until('local delivery', () => cppGot.length === 1);
  await until('failure counted', async () => (await cppRedisState(cppMember)).publishFailures > before);

  await redis.start();
  await bothReady(cppMember);
  node.io.of(NSP).to('after').emit('news', 'node again');
  await cppMember.timeout(3000).emitWithAck('broadcast', { rooms: ['after'], event: 'news', args: ['c++ again'] });
  await until('both got both', () => cppGot.length === 3 && nodeGot.length === 2);
  await sleep(300);
  assert.equal(cppGot[0][0], 'while down');
  assert.deepEqual(cppGot.slice(1).map((a) => a[0]).sort(), ['c++ again', 'node again']);
  assert.deepEqual(nodeGot.map((a) => a[0]).sort(), ['c++ again', 'node again']);
});
