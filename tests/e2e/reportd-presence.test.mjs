// reportd live channel (/ws/internal), two extensions of the spec, with the official
// socket.io-client v4:
//  - catch-up: join_report {reportId, afterCommentId} acks the comments after that id (at most
//    100, oldest first, each as the 201 that created it) and `more`; bad values are refused
//    without joining;
//  - presence: the join ack lists the viewers of the report ([{id, username}] by id, one per
//    user) and the room hears report.viewers {reportId, viewers}, debounced per report, on one
//    node and across two nodes sharing PostgreSQL and Redis.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres } from './lib/postgres.mjs';
import { startRedis } from './lib/redis.mjs';
import { printLogIfFailed, sleep } from './lib/server.mjs';
import {
  stopCleanly,
  UTC_MS_RE,
  api,
  checkJoinAck,
  closeLive,
  collectEvents,
  connectLive,
  emitAck,
  login,
  randomSecret,
  startReportd,
} from './lib/reportd.mjs';

const T = { timeout: 20000 };
/** How long to wait to be reasonably sure that an event does not come (> the 250 ms debounce). */
const QUIET_MS = 400;
/** Bound on the wait for one report.viewers (debounce 250 ms plus slack for slow builds). */
const EVENT_MS = 3000;
/** Catch-up page size of the join_report ack. */
const PAGE = 100;

const BURST = 10;
const burstNames = Array.from({ length: BURST }, (_, i) => `viewer${i}`);
const USERS = [
  { username: 'anna', role: 'operator', internal: true },
  { username: 'bruno', role: 'operator', internal: true },
  { username: 'carla', role: 'operator', internal: true },
  { username: 'dora', role: 'operator', internal: true },
  ...burstNames.map((username) => ({ username, role: 'operator', internal: true })),
];

let srv;
let url;
const tok = {};
/** socket.io-client sockets of the running test; closed in afterEach. */
const opened = new Set();
/** The cluster's servers, when its describe block runs (for the logs on failure). */
const clusterServers = [];

before(async () => {
  srv = await startReportd({ users: USERS });
  url = srv.url;
  await Promise.all(USERS.map(async ({ username }) => {
    tok[username] = await login(url, username, srv.users[username].password);
  }));
});

after(async () => {
  for (const s of opened) closeLive(s);
  if (!srv) return;
  await stopCleanly(srv);
});

afterEach((t) => {
  printLogIfFailed(t, srv, ...clusterServers);
  for (const s of opened) closeLive(s);
  opened.clear();
});

/** A connected live socket of `username`'s token on `target`, closed after the test. */
async function live(token, target = url, opts = {}) {
  const s = await connectLive(target, { auth: { token }, ...opts });
  opened.add(s);
  return s;
}

async function createReport(title = 'presence', target = url, token = tok.anna) {
  const r = await api(target, 'POST', '/api/reports', { token, body: { title, description: 'for the live channel' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function postComment(reportId, comment, token = tok.anna, target = url) {
  const r = await api(target, 'POST', `/api/reports/${reportId}/comments`, { token, body: { comment } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

/** Posts `n` comments on `reportId` (a few at a time); resolves the 201 bodies by id. */
async function postComments(reportId, n, prefix) {
  const bodies = [];
  for (let i = 0; i < n; i += 8) {
    const batch = Array.from({ length: Math.min(8, n - i) }, (_, j) => postComment(reportId, `${prefix} ${i + j}`));
    bodies.push(...(await Promise.all(batch)));
  }
  bodies.sort((a, b) => a.id - b.id);
  assert.equal(new Set(bodies.map((b) => b.id)).size, n, `${n} distinct comments`);
  return bodies;
}

/** {id, username} of a user of `server`, as viewers lists it. */
function viewer(username, server = srv) {
  return { id: server.users[username].id, username };
}

/** Viewers of `usernames`, by id. */
function viewersOf(usernames, server = srv) {
  return usernames.map((u) => viewer(u, server)).sort((a, b) => a.id - b.id);
}

/** join_report without afterCommentId; checks the ack (no comments, no more) and resolves its viewers. */
async function join(socket, reportId, self) {
  return checkJoinAck(await emitAck(socket, 'join_report', { reportId }), reportId, self);
}

/**
 * join_report with afterCommentId; checks the ack's shape: {ok, room, viewers, comments, more},
 * each comment as a 201 body of that report with a UTC creation_date, ids ascending.
 * Resolves { viewers, comments, more }.
 */
async function joinAfter(socket, reportId, afterCommentId, self) {
  const ack = await emitAck(socket, 'join_report', { reportId, afterCommentId });
  const { comments, more, ...rest } = ack ?? {};
  const viewers = checkJoinAck(rest, reportId, self);
  assert.ok(Array.isArray(comments), `comments in ${JSON.stringify(ack).slice(0, 300)}`);
  assert.equal(typeof more, 'boolean', `more in ${JSON.stringify(rest)}: ${more}`);
  assert.ok(comments.length <= PAGE, `at most ${PAGE} comments, got ${comments.length}`);
  for (const c of comments) {
    assert.deepEqual(Object.keys(c).sort(), ['comment', 'commentOwner_id', 'creation_date', 'id', 'report_id'], JSON.stringify(c));
    assert.equal(c.report_id, reportId, `a comment of report ${reportId}: ${JSON.stringify(c)}`);
    assert.ok(c.id > afterCommentId, `comment ${c.id} after ${afterCommentId}`);
    assert.match(c.creation_date, UTC_MS_RE);
  }
  const ids = comments.map((c) => c.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'oldest first');
  return { viewers, comments, more };
}

/**
 * Records every report.viewers of `socket` (payloads in `items`, as collectEvents) and checks
 * that each came with exactly one argument (no offset, unlike comment.created).
 */
function watchViewers(socket) {
  const events = collectEvents(socket, 'report.viewers');
  const argCounts = [];
  const counter = (...args) => argCounts.push(args.length);
  socket.on('report.viewers', counter);
  return {
    items: events.items,
    waitForCount: (n, timeoutMs = EVENT_MS) => events.waitForCount(n, timeoutMs),
    /** Waits for the n-th event (1-based) and checks it is {reportId, viewers: expected}. */
    async expectNth(n, reportId, expected, what) {
      const got = await events.waitForCount(n, EVENT_MS).catch((err) => {
        throw new Error(`${what}: ${err.message}`);
      });
      assert.deepEqual(got[n - 1], { reportId, viewers: expected }, `${what}: report.viewers #${n}`);
    },
    checkArgs() {
      assert.ok(argCounts.every((k) => k === 1), `report.viewers carries one argument, got counts ${argCounts}`);
    },
    stop() {
      events.stop();
      socket.off('report.viewers', counter);
    },
  };
}

/** Joins `username` to a report of its own and swallows its own announcement: a watcher of another room. */
async function bystander(username, reportId) {
  const s = await live(tok[username]);
  const w = watchViewers(s);
  assert.deepEqual(await join(s, reportId, srv.users[username].id), viewersOf([username]));
  await w.expectNth(1, reportId, viewersOf([username]), `${username}'s own join of report ${reportId}`);
  return w;
}

describe('join_report afterCommentId (catch-up)', () => {
  test('5 comments, afterCommentId = the second id: exactly the last 3, equal to their 201 bodies, more false', T, async () => {
    const report = await createReport('five');
    const bodies = [];
    for (let i = 0; i < 5; i++) bodies.push(await postComment(report.id, `comment ${i} — “quoted” ✓ \u{1F6A7}`, i % 2 ? tok.bruno : tok.anna));
    const s = await live(tok.anna);
    const { comments, more, viewers } = await joinAfter(s, report.id, bodies[1].id, srv.users.anna.id);
    assert.deepEqual(comments, bodies.slice(2), 'the comments after the second one, as created');
    assert.equal(more, false);
    assert.deepEqual(viewers, viewersOf(['anna']));

    // The socket is joined: a new comment arrives live.
    const events = collectEvents(s, 'comment.created');
    const next = await postComment(report.id, 'after the catch-up', tok.bruno);
    await events.waitForCount(1, 5000);
    assert.deepEqual(events.items, [next]);

    // afterCommentId = the last id (and beyond): nothing, more false. 0: all five.
    const other = await live(tok.bruno);
    const latest = await joinAfter(other, report.id, next.id, srv.users.bruno.id);
    assert.deepEqual([latest.comments, latest.more], [[], false], 'after the last comment');
    const beyond = await joinAfter(other, report.id, next.id + 1000000, srv.users.bruno.id);
    assert.deepEqual([beyond.comments, beyond.more], [[], false], 'after an id beyond the last');
    const all = await joinAfter(other, report.id, 0, srv.users.bruno.id);
    assert.deepEqual([all.comments, all.more], [[...bodies, next], false], 'afterCommentId 0: every comment');
    assert.deepEqual(all.viewers, viewersOf(['anna', 'bruno']));
  });

  test('105 comments: 0 gives the first 100 and more true, the 5th id exactly 100 and more false, the 100th id the last 5', T, async () => {
    const report = await createReport('hundred and five');
    const bodies = await postComments(report.id, 105, 'many');
    const s = await live(tok.anna);

    const first = await joinAfter(s, report.id, 0, srv.users.anna.id);
    assert.equal(first.comments.length, 100, 'a page of 100');
    assert.deepEqual(first.comments, bodies.slice(0, 100), 'the first 100, as created');
    assert.equal(first.more, true, 'more follow');

    const exact = await joinAfter(s, report.id, bodies[4].id, srv.users.anna.id);
    assert.deepEqual(exact.comments, bodies.slice(5), 'exactly the 100 after the 5th');
    assert.equal(exact.more, false, 'exactly 100 follow: no more');

    const rest = await joinAfter(s, report.id, bodies[99].id, srv.users.anna.id);
    assert.deepEqual(rest.comments, bodies.slice(100), 'the last 5');
    assert.equal(rest.more, false);
  });

  test("another report's comments are never included", T, async () => {
    const mine = await createReport('mine');
    const theirs = await createReport('theirs');
    const expected = [];
    let last;
    for (let i = 0; i < 6; i++) {
      const c = await postComment(i % 2 ? theirs.id : mine.id, `interleaved ${i}`);
      if (i % 2 === 0) expected.push(c);
      last = c;
    }
    const s = await live(tok.anna);
    const all = await joinAfter(s, mine.id, 0, srv.users.anna.id);
    assert.deepEqual(all.comments, expected, 'only the comments of the joined report');
    assert.equal(all.more, false);
    const after = await joinAfter(s, mine.id, expected[0].id, srv.users.anna.id);
    assert.deepEqual(after.comments, expected.slice(1));
    const none = await joinAfter(s, mine.id, last.id, srv.users.anna.id);
    assert.deepEqual(none.comments, [], `nothing of report ${mine.id} after the other report's comment ${last.id}`);
  });

  test('a bad afterCommentId (-1, "5", 1.5, true, 2^64) is refused, the socket stays connected and is not joined; leave_report ignores it', T, async () => {
    const report = await createReport('bad after');
    const early = await postComment(report.id, 'before the bad joins');
    const s = await live(tok.dora);
    const comments = collectEvents(s, 'comment.created');
    const viewerEvents = watchViewers(s);
    const bad = [
      ['-1', -1],
      ['"5"', '5'],
      ['1.5', 1.5],
      ['true', true],
      ['2^64', 2 ** 64],
    ];
    for (const [what, afterCommentId] of bad) {
      const ack = await emitAck(s, 'join_report', { reportId: report.id, afterCommentId });
      assert.equal(ack?.ok, false, `afterCommentId ${what}: ${JSON.stringify(ack)}`);
      assert.deepEqual(Object.keys(ack).sort(), ['error', 'ok'], `afterCommentId ${what}: ${JSON.stringify(ack)}`);
      assert.equal(ack.error?.code, 'invalid_after_comment_id', `afterCommentId ${what}: ${JSON.stringify(ack)}`);
      assert.equal(typeof ack.error.message, 'string', `afterCommentId ${what}: error.message`);
      assert.ok(ack.error.message.length > 0, `afterCommentId ${what}: error.message not empty`);
      assert.ok(s.connected, `afterCommentId ${what}: still connected`);
    }

    // Not joined: another viewer does not see dora, and neither a comment nor a
    // report.viewers reaches her.
    const b = await live(tok.bruno);
    const bEvents = watchViewers(b);
    assert.deepEqual(await join(b, report.id, srv.users.bruno.id), viewersOf(['bruno']), 'dora is not a viewer');
    const missed = await postComment(report.id, 'dora is not in the room');
    await bEvents.expectNth(1, report.id, viewersOf(['bruno']), "bruno's join");
    await sleep(QUIET_MS);
    assert.deepEqual(comments.items, [], 'no comment.created after the refused joins');
    assert.deepEqual(viewerEvents.items, [], 'no report.viewers after the refused joins');
    assert.ok(s.connected);

    // leave_report ignores afterCommentId, valid or not.
    for (const afterCommentId of [-1, '5', 1.5, true, 2 ** 64, 0, early.id]) {
      const ack = await emitAck(s, 'leave_report', { reportId: report.id, afterCommentId });
      assert.deepEqual(ack, { ok: true, room: `report:${report.id}` }, `leave_report with afterCommentId ${JSON.stringify(afterCommentId)}`);
    }

    // A valid one on an unknown report is report_not_found.
    const unknown = await emitAck(s, 'join_report', { reportId: report.id + 1000000, afterCommentId: 0 });
    assert.equal(unknown?.ok, false, JSON.stringify(unknown));
    assert.equal(unknown.error?.code, 'report_not_found', JSON.stringify(unknown));

    // The socket still works: a valid catch-up join, then live comments.
    const ok = await joinAfter(s, report.id, 0, srv.users.dora.id);
    assert.deepEqual(ok.comments, [early, missed]);
    assert.equal(ok.more, false);
    assert.deepEqual(ok.viewers, viewersOf(['bruno', 'dora']));
    const live1 = await postComment(report.id, 'dora is in the room now');
    await comments.waitForCount(1, 5000);
    assert.deepEqual(comments.items, [live1]);
  });
});

describe('presence on one node', () => {
  test('acks and report.viewers through join, a second socket of the same user (announced to nobody), leave_report, rejoin and disconnects; another room hears nothing', T, async () => {
    const report = await createReport('watched');
    const elsewhere = await createReport('elsewhere');
    const carla = await bystander('carla', elsewhere.id);

    const anna1 = await live(tok.anna, url, { transports: ['websocket'] });
    const a1 = watchViewers(anna1);
    const A = viewersOf(['anna']);
    const AB = viewersOf(['anna', 'bruno']);

    // anna joins: the ack lists her, the room (she) hears [anna].
    assert.deepEqual(await join(anna1, report.id, srv.users.anna.id), A, 'first join');
    await a1.expectNth(1, report.id, A, 'anna joined');

    // bruno joins: his ack lists both, both hear [anna, bruno].
    const brunoS = await live(tok.bruno);
    const b = watchViewers(brunoS);
    assert.deepEqual(await join(brunoS, report.id, srv.users.bruno.id), AB, "bruno's join");
    await a1.expectNth(2, report.id, AB, 'bruno joined (at anna)');
    await b.expectNth(1, report.id, AB, 'bruno joined (at bruno)');

    // anna's second socket joins: its ack lists anna once, and nobody hears anything, since the
    // list of users did not change.
    const anna2 = await live(tok.anna, url, { transports: ['polling'] });
    const a2 = watchViewers(anna2);
    assert.deepEqual(await join(anna2, report.id, srv.users.anna.id), AB, "anna's second socket: anna once");
    await sleep(QUIET_MS);
    assert.equal(a1.items.length, 2, `anna's second socket announced nothing (at anna 1): ${JSON.stringify(a1.items)}`);
    assert.equal(a2.items.length, 0, `anna's second socket announced nothing (at anna 2): ${JSON.stringify(a2.items)}`);
    assert.equal(b.items.length, 1, `anna's second socket announced nothing (at bruno): ${JSON.stringify(b.items)}`);

    // bruno leaves: anna (both sockets) hears [anna]; bruno hears nothing more.
    assert.deepEqual(await emitAck(brunoS, 'leave_report', { reportId: report.id }), { ok: true, room: `report:${report.id}` });
    await a1.expectNth(3, report.id, A, 'bruno left (at anna 1)');
    await a2.expectNth(1, report.id, A, 'bruno left (at anna 2)');

    // bruno joins again, then disconnects: [anna, bruno], then [anna].
    assert.deepEqual(await join(brunoS, report.id, srv.users.bruno.id), AB, "bruno's second join");
    await a1.expectNth(4, report.id, AB, 'bruno joined again');
    await b.expectNth(2, report.id, AB, 'bruno joined again (at bruno)');
    closeLive(brunoS);
    await a1.expectNth(5, report.id, A, 'bruno disconnected (at anna 1)');
    await a2.expectNth(3, report.id, A, 'bruno disconnected (at anna 2)');

    // anna's second socket disconnects: anna is still there through her first one, so the list
    // did not change and nothing is announced.
    closeLive(anna2);
    await sleep(QUIET_MS);
    assert.deepEqual(
      a1.items.map((e) => e.viewers),
      [A, AB, A, AB, A],
      'anna 1: one report.viewers per change of the list of users, nothing else',
    );
    assert.deepEqual(a2.items.map((e) => e.viewers), [A, AB, A], 'anna 2: from her join to her disconnect');
    assert.deepEqual(b.items.map((e) => e.viewers), [AB, AB], 'bruno: nothing while he had left');
    assert.ok(a1.items.every((e) => e.reportId === report.id));
    for (const w of [a1, a2, b, carla]) w.checkArgs();
    assert.equal(carla.items.length, 1, `the other report's room heard nothing: ${JSON.stringify(carla.items)}`);

    // A fresh viewer's ack matches the room's last list.
    const late = await live(tok.carla);
    assert.deepEqual(await join(late, report.id, srv.users.carla.id), viewersOf(['anna', 'carla']));
  });

  test(`a burst of ${BURST} sockets joining within ~50 ms gives at most 3 report.viewers at the other member, the last listing everyone`, T, async (t) => {
    const report = await createReport('burst');
    const elsewhere = await createReport('burst elsewhere');
    const carla = await bystander('carla', elsewhere.id);

    const annaS = await live(tok.anna);
    const a = watchViewers(annaS);
    assert.deepEqual(await join(annaS, report.id, srv.users.anna.id), viewersOf(['anna']));
    await a.expectNth(1, report.id, viewersOf(['anna']), "anna's own join");

    const sockets = await Promise.all(burstNames.map((name) => live(tok[name])));
    const watchers = sockets.map((s) => watchViewers(s));
    const everyone = viewersOf(['anna', ...burstNames]);

    const started = Date.now();
    const acks = Promise.all(
      sockets.map((s, i) => emitAck(s, 'join_report', { reportId: report.id }, 5000).then((ack) => [burstNames[i], ack, Date.now()])),
    );
    const emittedIn = Date.now() - started;
    assert.ok(emittedIn <= 50, `the ${BURST} joins were emitted within ${emittedIn} ms`);
    const acked = await acks;
    t.diagnostic(`joins acknowledged within ${Math.max(...acked.map(([, , at]) => at)) - started} ms`);
    for (const [name, ack] of acked) {
      const viewers = checkJoinAck(ack, report.id, srv.users[name].id);
      assert.ok(viewers.some((v) => v.id === srv.users.anna.id), `${name}'s ack lists anna: ${JSON.stringify(viewers)}`);
      for (const v of viewers) assert.deepEqual(v, everyone.find((e) => e.id === v.id), `${name}'s ack: a known viewer ${JSON.stringify(v)}`);
    }

    // Wait until anna hears the complete list, then for anything that might follow.
    const deadline = Date.now() + 5000;
    while (!a.items.slice(1).some((e) => e.viewers.length === everyone.length)) {
      if (Date.now() > deadline) assert.fail(`anna never heard all ${everyone.length} viewers: ${JSON.stringify(a.items.map((e) => e.viewers.length))}`);
      await sleep(20);
    }
    await sleep(QUIET_MS + 200);
    const burstEvents = a.items.slice(1);
    t.diagnostic(`report.viewers at anna for the burst: ${burstEvents.length}, listing ${burstEvents.map((e) => e.viewers.length).join(', ')} viewers`);
    assert.ok(burstEvents.length >= 1 && burstEvents.length <= 3, `1 to 3 report.viewers for the burst at anna, got ${burstEvents.length}: ${JSON.stringify(burstEvents.map((e) => e.viewers.length))}`);
    assert.deepEqual(burstEvents.at(-1), { reportId: report.id, viewers: everyone }, 'the last one lists everyone');
    for (const e of burstEvents) assert.equal(e.reportId, report.id);
    for (const [i, w] of watchers.entries()) {
      assert.ok(w.items.length >= 1, `${burstNames[i]} heard report.viewers`);
      assert.deepEqual(w.items.at(-1), { reportId: report.id, viewers: everyone }, `${burstNames[i]}'s last report.viewers lists everyone`);
      w.checkArgs();
    }
    a.checkArgs();
    assert.equal(carla.items.length, 1, `the other report's room heard nothing: ${JSON.stringify(carla.items)}`);
  });

  test('report.viewers is debounced: the first announcement of a join comes about 250 ms after it, not at once', T, async () => {
    const report = await createReport('debounce');
    const s = await live(tok.anna);
    const w = watchViewers(s);
    const sent = Date.now();
    assert.deepEqual(await join(s, report.id, srv.users.anna.id), viewersOf(['anna']));
    await w.waitForCount(1);
    const after = Date.now() - sent;
    assert.ok(after >= 200, `report.viewers came ${after} ms after the join (debounce about 250 ms)`);
    assert.ok(after <= 2000, `report.viewers came ${after} ms after the join`);
  });
});

describe('presence across two nodes on one PostgreSQL and one Redis', () => {
  let postgres;
  let redis;
  let one;
  let two;
  let ctok = {};

  before(async () => {
    postgres = await startPostgres();
    redis = await startRedis();
    postgres.createDatabase('presence');
    const env = { DATABASE_URL: postgres.url('presence'), REDIS_URL: redis.url, JWT_SECRET: randomSecret() };
    one = await startReportd({
      env,
      users: [
        { username: 'anna', role: 'operator', internal: true },
        { username: 'bruno', role: 'operator', internal: true },
      ],
    });
    clusterServers.push(one);
    two = await startReportd({ env });
    clusterServers.push(two);
    ctok = {
      anna: await login(one.url, 'anna', one.users.anna.password),
      bruno: await login(two.url, 'bruno', one.users.bruno.password),
    };
  });

  after(async () => {
    for (const s of opened) closeLive(s);
    await Promise.allSettled(clusterServers.map((n) => n.stop()));
    clusterServers.length = 0;
    await redis?.dispose();
    postgres?.stop();
  });

  // anna joins a new report on node 1, then bruno on node 2; each hears what the other's join
  // did, and bruno's ack lists anna of node 1.
  async function annaThenBruno(title) {
    const report = await createReport(title, one.url, ctok.anna);
    const A = viewersOf(['anna'], one);
    const AB = viewersOf(['anna', 'bruno'], one);

    const annaS = await live(ctok.anna, one.url);
    const a = watchViewers(annaS);
    assert.deepEqual(await join(annaS, report.id, one.users.anna.id), A, "anna's join on node 1");
    await a.expectNth(1, report.id, A, "anna's own join");

    const brunoS = await live(ctok.bruno, two.url);
    const b = watchViewers(brunoS);
    assert.deepEqual(await join(brunoS, report.id, one.users.bruno.id), AB, "bruno's ack on node 2 lists anna of node 1");
    await a.expectNth(2, report.id, AB, 'anna (node 1) hears bruno join on node 2');
    await b.expectNth(1, report.id, AB, 'bruno (node 2) hears his join');
    return { report, A, AB, annaS, a, brunoS, b };
  }

  test("bruno joining on node 2 sees anna of node 1 in his ack; anna hears both, then herself alone when bruno disconnects", T, async () => {
    const { report, A, AB, a, brunoS, b } = await annaThenBruno('across');
    closeLive(brunoS);
    await a.expectNth(3, report.id, A, 'anna (node 1) hears bruno go away from node 2');
    await sleep(QUIET_MS);
    assert.deepEqual(a.items.map((e) => e.viewers), [A, AB, A], 'anna: one report.viewers per change');
    a.checkArgs();
    b.checkArgs();
  });

  test("anna's second tab on node 1 announces nothing on either node; her last one leaving does", T, async () => {
    const { report, A, AB, annaS, a, b } = await annaThenBruno('second tab across');
    const anna2 = await live(ctok.anna, one.url);
    assert.deepEqual(await join(anna2, report.id, one.users.anna.id), AB, "anna's second tab: anna once");
    closeLive(anna2);
    await sleep(QUIET_MS);
    assert.deepEqual(a.items.map((e) => e.viewers), [A, AB], 'anna heard nothing of her second tab');
    assert.deepEqual(b.items.map((e) => e.viewers), [AB], 'bruno (node 2) heard nothing of it');

    closeLive(annaS);
    await b.expectNth(2, report.id, viewersOf(['bruno'], one), "bruno (node 2) hears anna's last tab go away from node 1");
    b.checkArgs();
    a.checkArgs();
  });
});
