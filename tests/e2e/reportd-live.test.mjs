// reportd live channel (/ws/internal) end to end with the official
// socket.io-client v4: the spec's client example, every way to authenticate
// and to be refused, rooms (join/leave with acks, bad reportIds), the
// comment.created payload, fan-out under concurrent writers on every
// transport, and disconnection when the token expires.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { eventually, printLogIfFailed, sleep, waitFor, withTimeout } from './lib/server.mjs';
import { openSioWs, sendSio, sioConnect, nextSioText } from './lib/sio.mjs';
import { RawHttpConnection, parseOpenPacket } from './lib/eio.mjs';
import {
  stopCleanly,
  checkJoinAck,
  startReportd,
  api,
  login,
  connectLive,
  closeLive,
  emitAck,
  collectEvents,
  signJwt,
  decodeJwt,
  LIVE_NSP,
  UTC_MS_RE,
} from './lib/reportd.mjs';

const T = { timeout: 20000 };
/** How long to wait to be reasonably sure that an event does not come. */
const QUIET_MS = 300;

let srv;
let url;
let users;
const tok = {};
/** socket.io-client sockets of the running test; closed in afterEach. */
const opened = new Set();
/** Raw WebSocket clients of the running test; terminated in afterEach. */
const rawClients = new Set();
/** Extra servers started by a test; stopped in afterEach. */
const extraServers = new Set();

const USERS = [
  { username: 'op1', role: 'operator', internal: true },
  { username: 'op2', role: 'operator', internal: true },
  { username: 'op3', role: 'operator', internal: true },
  { username: 'op4', role: 'operator', internal: true },
  { username: 'admin1', role: 'admin', internal: true },
  { username: 'alice', role: 'citizen' },
];

before(async () => {
  srv = await startReportd({ users: USERS });
  url = srv.url;
  users = srv.users;
  for (const u of USERS) tok[u.username] = await login(url, u.username, users[u.username].password);
});

after(async () => {
  if (!srv) return;
  await stopCleanly(srv);
});

afterEach(async (t) => {
  printLogIfFailed(t, srv, ...extraServers);
  for (const s of opened) closeLive(s);
  opened.clear();
  for (const c of rawClients) c.terminate();
  rawClients.clear();
  for (const s of extraServers) await s.stop().catch(() => {});
  extraServers.clear();
});

/** A connected live socket (see connectLive), closed after the test. */
async function live(opts, target = url) {
  const s = await connectLive(target, opts);
  opened.add(s);
  return s;
}

async function createReport(token = tok.alice, title = 'Live report') {
  const r = await api(url, 'POST', '/api/reports', { token, body: { title, description: 'for the live channel' } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function postComment(reportId, comment, token = tok.op1) {
  const r = await api(url, 'POST', `/api/reports/${reportId}/comments`, { token, body: { comment } });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

async function join(socket, reportId) {
  checkJoinAck(await emitAck(socket, 'join_report', { reportId }), reportId);
}

/** Waits until the client's engine runs on WebSocket (after the upgrade from polling). */
async function upgraded(socket, timeoutMs = 5000) {
  const engine = socket.io.engine;
  if (engine.transport.name !== 'websocket') await waitFor(engine, 'upgrade', timeoutMs);
  assert.equal(engine.transport.name, 'websocket', 'the engine upgraded to websocket');
}

/** Joins `reportId`, posts one comment and checks that exactly it arrives, equal to the 201 body. */
async function roundTrip(socket, reportId, text) {
  await join(socket, reportId);
  const events = collectEvents(socket, 'comment.created');
  try {
    const body = await postComment(reportId, text);
    const [payload] = await events.waitForCount(1, 5000);
    assert.deepEqual(payload, body, 'comment.created payload equals the 201 body');
    await sleep(QUIET_MS);
    assert.equal(events.items.length, 1, 'exactly one comment.created');
    return body;
  } finally {
    events.stop();
  }
}

/** Asserts that connecting with `opts` fails with connect_error `message` and data {code}. */
async function assertRefused(opts, message, code, what) {
  await assert.rejects(
    connectLive(url, opts).then((s) => {
      opened.add(s);
      return s;
    }),
    (err) => {
      assert.equal(err.message, message, `${what}: connect_error message`);
      assert.deepEqual(err.data, { code }, `${what}: connect_error data`);
      return true;
    },
    `${what}: the connection must be refused`,
  );
}

describe('connecting', () => {
  test("the spec's client example: default transports upgrade to websocket and comment.created arrives after join_report", T, async () => {
    const report = await createReport();
    const API_BASE_URL = url;
    const token = tok.op1;
    const received = [];

    // As in spec/websocket-internal.md.
    const socket = io(`${API_BASE_URL}/ws/internal`, {
      auth: { token },
    });
    opened.add(socket);
    socket.on('connect', () => {
      socket.emit('join_report', { reportId: report.id });
    });
    socket.on('comment.created', (payload) => {
      received.push(payload);
    });

    const connected = new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', (err) => reject(new Error(`connect_error: ${err.message} ${JSON.stringify(err.data)}`)));
    });
    await withTimeout(connected, 5000, 'connect of the spec example');
    assert.ok(socket.id, 'socket.id is set');
    await upgraded(socket);

    // The join has no ack in the example: post until the first comment arrives.
    const posted = [];
    for (let i = 0; i < 20 && received.length === 0; i++) {
      posted.push(await postComment(report.id, `example ${i}`));
      const deadline = Date.now() + 250;
      while (received.length === 0 && Date.now() < deadline) await sleep(10);
    }
    assert.ok(received.length > 0, 'a comment.created arrived');
    await sleep(QUIET_MS);
    const byId = new Map(posted.map((b) => [b.id, b]));
    for (const payload of received) assert.deepEqual(payload, byId.get(payload.id), 'payload equals its 201 body');
    assert.equal(new Set(received.map((p) => p.id)).size, received.length, 'no duplicates');
    assert.ok(posted.length - received.length <= 1, `at most the first comment predates the join (${posted.length} posted, ${received.length} received)`);
    assert.deepEqual(received.map((p) => p.id), posted.slice(posted.length - received.length).map((b) => b.id));

    // cleanup() of the example.
    socket.emit('leave_report', { reportId: report.id });
    socket.close();
    assert.equal(socket.connected, false);
  });

  test('auth.token with transports ["websocket"]', T, async () => {
    const report = await createReport();
    const s = await live({ auth: { token: tok.op2 }, transports: ['websocket'] });
    assert.equal(s.io.engine.transport.name, 'websocket');
    await roundTrip(s, report.id, 'websocket only');
  });

  test('auth.token with transports ["polling"]', T, async () => {
    const report = await createReport();
    const s = await live({ auth: { token: tok.op2 }, transports: ['polling'] });
    assert.equal(s.io.engine.transport.name, 'polling');
    await roundTrip(s, report.id, 'polling only');
  });

  test('Authorization: Bearer header (extraHeaders) with transports ["polling"]', T, async () => {
    const report = await createReport();
    const s = await live({ extraHeaders: { Authorization: `Bearer ${tok.op3}` }, transports: ['polling'] });
    assert.equal(s.io.engine.transport.name, 'polling');
    await roundTrip(s, report.id, 'header, polling');
  });

  test('Authorization: Bearer header (extraHeaders) with default transports, upgraded', T, async () => {
    const report = await createReport();
    const s = await live({ extraHeaders: { Authorization: `Bearer ${tok.op3}` } });
    await upgraded(s);
    await roundTrip(s, report.id, 'header, default transports');
  });

  test('Authorization: Bearer header with transports ["websocket"]', T, async () => {
    const report = await createReport();
    const s = await live({ extraHeaders: { Authorization: `Bearer ${tok.admin1}` }, transports: ['websocket'] });
    await roundTrip(s, report.id, 'header, websocket');
  });

  test('a valid citizen token is refused: connect_error "forbidden" {code:403}', T, async () => {
    for (const transports of [undefined, ['websocket'], ['polling']]) {
      const t = transports ? { transports } : {};
      await assertRefused({ auth: { token: tok.alice }, ...t }, 'forbidden', 403, `citizen auth.token ${transports}`);
      await assertRefused(
        { extraHeaders: { Authorization: `Bearer ${tok.alice}` }, ...t },
        'forbidden',
        403,
        `citizen header ${transports}`,
      );
    }
  });

  test('missing, garbage, badly signed, expired, alg-none or unknown-user tokens are refused: "unauthorized" {code:401}', T, async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: String(users.op1.id), role: 'operator', internal: true, iat: now, exp: now + 600, iss: 'reportd' };
    // Control: the same hand-made claims signed with the server's secret are accepted,
    // so the refusals below are about the one thing that differs.
    const control = await live({ auth: { token: signJwt(claims, srv.secret) }, transports: ['websocket'] });
    assert.ok(control.connected, 'hand-signed token with the right secret connects');
    closeLive(control);

    const cases = [
      ['missing', {}],
      ['empty auth.token', { auth: { token: '' } }],
      ['auth.token not a string', { auth: { token: 12345 } }],
      ['garbage auth.token', { auth: { token: 'garbage' } }],
      ['garbage three-part auth.token', { auth: { token: 'aaa.bbb.ccc' } }],
      ['garbage Bearer header', { extraHeaders: { Authorization: 'Bearer garbage' } }],
      ['signed with another secret', { auth: { token: signJwt(claims, 'not the server secret') } }],
      ['expired an hour ago', { auth: { token: signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, srv.secret) } }],
      ['expired, in the header', { extraHeaders: { Authorization: `Bearer ${signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, srv.secret)}` } }],
      ['alg none', { auth: { token: signJwt(claims, null, { alg: 'none' }) } }],
      ['alg none with a signature', { auth: { token: `${signJwt(claims, null, { alg: 'none' })}${signJwt(claims, srv.secret).split('.')[2]}` } }],
      ['a user that does not exist', { auth: { token: signJwt({ ...claims, sub: '987654' }, srv.secret) } }],
    ];
    for (const transports of [undefined, ['websocket']]) {
      for (const [what, opts] of cases) {
        await assertRefused({ ...opts, ...(transports ? { transports } : {}) }, 'unauthorized', 401, `${what} (${transports ?? 'default'})`);
      }
    }
    // The server is still fine.
    const s = await live({ auth: { token: tok.op1 } });
    assert.ok(s.connected);
  });
});

describe('connection state', () => {
  test('the Authorization scheme is case-insensitive on the live channel as on REST ("BEARER", "bEaReR")', T, async () => {
    const got = {};
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const header = `${scheme} ${tok.op1}`;
      const rest = await api(url, 'GET', '/api/auth/me', { headers: { authorization: header } });
      let liveResult;
      try {
        const s = await live({ extraHeaders: { Authorization: header }, transports: ['websocket'] });
        liveResult = 'connected';
        closeLive(s);
      } catch (err) {
        liveResult = `${err.message} ${JSON.stringify(err.data)}`;
      }
      got[scheme] = { rest: rest.status, live: liveResult };
    }
    const expected = Object.fromEntries(Object.keys(got).map((k) => [k, { rest: 200, live: 'connected' }]));
    assert.deepEqual(got, expected);
  });

  test('a token that expired within the verification leeway never leaves a socket connected', T, async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(
      { sub: String(users.op1.id), role: 'operator', internal: true, iat: now - 100, exp: now - 5, iss: 'reportd' },
      srv.secret,
    );
    for (const transports of [['polling'], ['websocket'], undefined]) {
      // Listeners from the start: the refusal or the disconnect may come in the same
      // polling response as the CONNECT reply.
      const s = io(`${url}${LIVE_NSP}`, { forceNew: true, reconnection: false, auth: { token }, ...(transports ? { transports } : {}) });
      opened.add(s);
      const outcome = await withTimeout(
        new Promise((resolve) => {
          s.once('connect_error', (err) => resolve(`connect_error ${err.message}`));
          s.once('disconnect', (reason) => resolve(`disconnect ${reason}`));
        }),
        3000,
        `refusal or disconnect of an expired token (${transports ?? 'default'})`,
      );
      assert.match(outcome, /^(connect_error unauthorized|disconnect io server disconnect)$/, `${transports ?? 'default'}: ${outcome}`);
      assert.equal(s.connected, false);
      closeLive(s);
    }
  });

  test('the reportd_live_sockets and reportd_websockets gauges follow the connected clients', T, async () => {
    const gauge = async (name) => {
      const m = await api(url, 'GET', '/metrics');
      const line = new RegExp(`^${name} (\\d+)$`, 'm').exec(m.text);
      assert.ok(line, `${name} in ${m.text}`);
      return Number(line[1]);
    };
    const until = async (name, want, timeoutMs = 3000) => {
      const deadline = Date.now() + timeoutMs;
      let v;
      while ((v = await gauge(name)) !== want) {
        if (Date.now() > deadline) assert.fail(`${name} is ${v}, expected ${want} within ${timeoutMs} ms`);
        await sleep(50);
      }
    };
    await until('reportd_live_sockets', 0);
    await until('reportd_websockets', 0);
    const a = await live({ auth: { token: tok.op1 }, transports: ['websocket'] });
    const b = await live({ auth: { token: tok.op2 }, transports: ['polling'] });
    await until('reportd_live_sockets', 2);
    await until('reportd_websockets', 1);
    closeLive(a);
    closeLive(b);
    await until('reportd_live_sockets', 0);
    await until('reportd_websockets', 0);
  });
});

describe('rooms and events', () => {
  test('comment.created deep-equals the body of the 201 that created it', T, async () => {
    const report = await createReport();
    const s = await live({ auth: { token: tok.op1 } });
    await join(s, report.id);
    const events = collectEvents(s, 'comment.created');
    const text = 'Arrivo subito — “quote” ✓ \u{1F6A7} \n second line';
    const r = await api(url, 'POST', `/api/reports/${report.id}/comments`, { token: tok.admin1, body: { comment: text } });
    assert.equal(r.status, 201, r.text);
    const [payload] = await events.waitForCount(1, 5000);
    assert.deepEqual(payload, r.json);
    assert.deepEqual(Object.keys(payload).sort(), ['comment', 'commentOwner_id', 'creation_date', 'id', 'report_id']);
    assert.equal(payload.comment, text);
    assert.equal(payload.commentOwner_id, users.admin1.id);
    assert.equal(payload.report_id, report.id);
    assert.match(payload.creation_date, UTC_MS_RE);
  });

  test('two clients in different report rooms each receive only their own report\'s comments', T, async () => {
    const r1 = await createReport(tok.alice, 'room one');
    const r2 = await createReport(tok.alice, 'room two');
    const a = await live({ auth: { token: tok.op1 }, transports: ['websocket'] });
    const b = await live({ auth: { token: tok.op2 } });
    await join(a, r1.id);
    await join(b, r2.id);
    const ea = collectEvents(a, 'comment.created');
    const eb = collectEvents(b, 'comment.created');
    const c1 = await postComment(r1.id, 'for room one');
    const c2 = await postComment(r2.id, 'for room two', tok.op3);
    const c3 = await postComment(r1.id, 'for room one again', tok.op4);
    await ea.waitForCount(2, 5000);
    await eb.waitForCount(1, 5000);
    await sleep(QUIET_MS);
    assert.deepEqual(ea.items, [c1, c3], 'a gets only report one');
    assert.deepEqual(eb.items, [c2], 'b gets only report two');
  });

  test('after leave_report (acknowledged) nothing more arrives, while a member still gets it', T, async () => {
    const report = await createReport();
    const control = await live({ auth: { token: tok.op1 } });
    const leaver = await live({ auth: { token: tok.op2 }, transports: ['websocket'] });
    await join(control, report.id);
    await join(leaver, report.id);
    const ec = collectEvents(control, 'comment.created');
    const el = collectEvents(leaver, 'comment.created');

    const first = await postComment(report.id, 'both should see this');
    await ec.waitForCount(1, 5000);
    await el.waitForCount(1, 5000);
    assert.deepEqual(el.items, [first], 'the leaver was in the room');

    const ack = await emitAck(leaver, 'leave_report', { reportId: report.id });
    assert.deepEqual(ack, { ok: true, room: `report:${report.id}` });

    const second = await postComment(report.id, 'only the control client should see this');
    await ec.waitForCount(2, 5000);
    assert.deepEqual(ec.items, [first, second], 'the control client got the second comment');
    await sleep(QUIET_MS);
    assert.deepEqual(el.items, [first], 'nothing arrived after leave_report');
    assert.ok(leaver.connected, 'the leaver is still connected');

    // Joining again works.
    await join(leaver, report.id);
    const third = await postComment(report.id, 'back again');
    await el.waitForCount(2, 5000);
    assert.deepEqual(el.items, [first, third]);
  });

  test('every bad reportId gets the right ack error and the socket keeps working', T, async () => {
    const report = await createReport();
    const s = await live({ auth: { token: tok.op1 } });
    const invalid = [
      ['no argument', undefined],
      ['empty object', {}],
      ['null', null],
      ['a number instead of an object', 1],
      ['reportId null', { reportId: null }],
      ['reportId "1"', { reportId: '1' }],
      ['reportId 1.5', { reportId: 1.5 }],
      ['reportId -1', { reportId: -1 }],
      ['reportId 0', { reportId: 0 }],
      ['reportId 1e30', { reportId: 1e30 }],
      ['reportId 2^63', { reportId: 9223372036854775808 }],
      ['reportId true', { reportId: true }],
      ['reportId [1]', { reportId: [1] }],
      ['reportId {}', { reportId: {} }],
    ];
    for (const event of ['join_report', 'leave_report']) {
      for (const [what, payload] of invalid) {
        const ack = await emitAck(s, event, payload);
        assert.equal(ack?.ok, false, `${event} ${what}: ${JSON.stringify(ack)}`);
        assert.equal(ack.error?.code, 'invalid_report_id', `${event} ${what}: ${JSON.stringify(ack)}`);
        assert.equal(typeof ack.error.message, 'string', `${event} ${what}: error.message`);
        assert.ok(s.connected, `${event} ${what}: still connected`);
      }
    }
    const unknown = await emitAck(s, 'join_report', { reportId: report.id + 1000000 });
    assert.equal(unknown?.ok, false, JSON.stringify(unknown));
    assert.equal(unknown.error?.code, 'report_not_found', JSON.stringify(unknown));
    assert.equal(typeof unknown.error.message, 'string');
    // Without an ack too.
    s.emit('join_report', { reportId: 'x' });
    s.emit('join_report', { reportId: report.id + 1000000 });
    s.emit('join_report');
    s.emit('leave_report', { reportId: -5 });
    assert.ok(s.connected);

    // The socket still works: a valid join succeeds and comments arrive.
    await roundTrip(s, report.id, 'after the bad ones');
    assert.ok(s.connected);
  });

  test('reportIds beyond int64 on the wire (raw packets) are invalid, 2^63-1 is merely unknown', T, async () => {
    const report = await createReport();
    const { client } = await openSioWs(url, { timeoutMs: 5000 });
    rawClients.add(client);
    const hello = await sioConnect(client, LIVE_NSP, { token: tok.op1 }, 5000);
    assert.equal(typeof hello.sid, 'string');
    const cases = [
      ['9223372036854775808', 'invalid_report_id'],
      ['18446744073709551616', 'invalid_report_id'],
      ['-9223372036854775809', 'invalid_report_id'],
      ['1e30', 'invalid_report_id'],
      ['9223372036854775807', 'report_not_found'],
    ];
    let ackId = 1;
    for (const [raw, code] of cases) {
      const id = ackId++;
      sendSio(client, `2${LIVE_NSP},${id}["join_report",{"reportId":${raw}}]`);
      const reply = await nextSioText(client, 3000);
      const prefix = `3${LIVE_NSP},${id}`;
      assert.ok(reply.startsWith(prefix), `ack for ${raw}: ${reply}`);
      const [ack] = JSON.parse(reply.slice(prefix.length));
      assert.equal(ack.ok, false, `${raw}: ${reply}`);
      assert.equal(ack.error.code, code, `${raw}: ${reply}`);
    }
    const id = ackId++;
    sendSio(client, `2${LIVE_NSP},${id}["join_report",{"reportId":${report.id}}]`);
    const reply = await nextSioText(client, 3000);
    assert.ok(reply.startsWith(`3${LIVE_NSP},${id}[`), reply);
    checkJoinAck(JSON.parse(reply.slice(`3${LIVE_NSP},${id}`.length))[0], report.id);
    const body = await postComment(report.id, 'raw client');
    const event = await nextSioText(client, 3000);
    // The comment id follows as the offset of connection state recovery (on by default).
    assert.equal(event, `2${LIVE_NSP},${JSON.stringify(['comment.created', body, String(body.id)])}`);
  });

  test('20 concurrent writers: each of 3 members (polling, websocket, default) gets every comment once, in commit order', T, async () => {
    const report = await createReport();
    const members = [
      ['polling', await live({ auth: { token: tok.op1 }, transports: ['polling'] })],
      ['websocket', await live({ auth: { token: tok.op2 }, transports: ['websocket'] })],
      ['default', await live({ auth: { token: tok.admin1 } })],
    ];
    const collectors = members.map(([name, s]) => [name, collectEvents(s, 'comment.created')]);
    await Promise.all(members.map(([, s]) => join(s, report.id)));

    const writers = [tok.op1, tok.op2, tok.op3, tok.op4, tok.admin1];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api(url, 'POST', `/api/reports/${report.id}/comments`, { token: writers[i % writers.length], body: { comment: `concurrent ${i} é🚧 "q" \\ \u2028 \u001e` } }),
      ),
    );
    for (const r of results) assert.equal(r.status, 201, r.text);
    const bodies = results.map((r) => r.json).sort((x, y) => x.id - y.id);
    assert.equal(new Set(bodies.map((b) => b.id)).size, 20, '20 distinct comments');

    await Promise.all(collectors.map(([, c]) => c.waitForCount(20, 10000)));
    await sleep(QUIET_MS);
    for (const [name, c] of collectors) {
      assert.equal(c.items.length, 20, `${name}: exactly 20 events (${c.items.map((p) => p.id).join(',')})`);
      assert.deepEqual(
        c.items.map((p) => p.id),
        bodies.map((b) => b.id),
        `${name}: each comment once, in ascending id (commit) order`,
      );
      assert.deepEqual(c.items, bodies, `${name}: payloads equal the 201 bodies`);
    }
    for (const [name, s] of members) assert.ok(s.connected, `${name} still connected`);
    assert.equal(members[0][1].io.engine.transport.name, 'polling');
    assert.equal(members[1][1].io.engine.transport.name, 'websocket');
  });
});

describe('shutdown', () => {
  test('SIGTERM with live clients on every transport: clients are disconnected and reportd exits 0', T, async () => {
    const other = await startReportd({ users: [{ username: 'opx', role: 'operator', internal: true }] });
    extraServers.add(other);
    const token = await login(other.url, 'opx', other.users.opx.password);
    const clients = [
      await live({ auth: { token }, transports: ['polling'] }, other.url),
      await live({ auth: { token }, transports: ['websocket'] }, other.url),
      await live({ auth: { token } }, other.url),
    ];
    await upgraded(clients[2]);
    const reasons = clients.map((s) => waitFor(s, 'disconnect', 8000).then(([reason]) => reason));
    const { code, signal } = await other.stop();
    extraServers.delete(other);
    assert.equal(signal, null, 'exits by itself after SIGTERM');
    assert.equal(code, 0, 'exit code 0');
    const got = await Promise.all(reasons);
    for (const r of got) assert.equal(typeof r, 'string');
    for (const s of clients) assert.equal(s.connected, false);
  });
});

describe('token expiry', () => {
  test('a socket is disconnected by the server when its token expires (JWT_TTL_SECONDS=2)', T, async () => {
    const short = await startReportd({
      users: [{ username: 'shortop', role: 'operator', internal: true }],
      env: { JWT_TTL_SECONDS: '2' },
    });
    extraServers.add(short);
    const token = await login(short.url, 'shortop', short.users.shortop.password);
    const { exp, iat } = decodeJwt(token);
    assert.equal(exp - iat, 2, 'the token lives 2 s');

    const s = await live({ auth: { token } }, short.url);
    const connectedAt = Date.now();
    const disconnected = waitFor(s, 'disconnect', 4000);
    const [reason] = await disconnected;
    assert.ok(exp * 1000 > connectedAt, 'connected before the token expired');
    const at = Date.now();
    assert.equal(reason, 'io server disconnect', 'the server ended the session');
    assert.ok(at - connectedAt <= 4000, `disconnected ${at - connectedAt} ms after connecting`);
    assert.ok(at >= exp * 1000 - 100, `not disconnected before exp (${at} vs ${exp * 1000})`);
    assert.equal(s.connected, false);
  });

  test('sockets whose tokens expire at different times end each at its own expiry, an earlier one added last included; a later one stays', T, async () => {
    // One timer serves every connection: a token that expires before the one it waits for must
    // still end on time, and an expiry must end only its own socket.
    const now = Math.floor(Date.now() / 1000);
    const token = (seconds) => signJwt(
      { sub: String(users.op1.id), role: 'operator', internal: true, iat: now, exp: now + seconds, iss: 'reportd' },
      srv.secret,
    );
    const late = await live({ auth: { token: token(3) }, transports: ['websocket'] });
    const early = await live({ auth: { token: token(2) }, transports: ['websocket'] });
    const lasting = await live({ auth: { token: token(3600) }, transports: ['websocket'] });
    const ended = (s) => waitFor(s, 'disconnect', 5000).then(([reason]) => ({ reason, at: Date.now() }));
    const [first, second] = await Promise.all([ended(early), ended(late)]);
    assert.equal(first.reason, 'io server disconnect');
    assert.equal(second.reason, 'io server disconnect');
    assert.ok(first.at >= (now + 2) * 1000 - 100 && first.at <= (now + 2) * 1000 + 700,
      `the 2 s token ended at its expiry (${first.at - now * 1000} ms)`);
    assert.ok(second.at >= (now + 3) * 1000 - 100, `the 3 s token not before its expiry (${second.at - now * 1000} ms)`);
    assert.ok(first.at < second.at, 'in the order of their expiry');
    assert.equal(lasting.connected, true, 'the socket with an hour left is still connected');
    assert.deepEqual((await emitAck(lasting, 'join_report', { reportId: (await createReport()).id })).ok, true);
    closeLive(lasting);
  });
});

describe('polling clients that leave', () => {
  // Engine.IO's reference server ends such a session at once ("poll connection closed
  // prematurely"); left to the heartbeat, it would stay in its rooms and presence for 45 s.
  const base = '/socket.io/?EIO=4&transport=polling';
  const request = (method, target, body = '') =>
    `${method} ${target} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

  // Holds a poll on `poll` after `answered` earlier polls on the same keep-alive connection were
  // answered (a CONNECT to an unknown namespace gives each one a CONNECT_ERROR to carry), then
  // destroys that connection: the session must end within 3 s.
  async function leaveWhilePolling(answered) {
    const port = Number(new URL(url).port);
    const control = new RawHttpConnection(port);
    const poll = new RawHttpConnection(port);
    try {
      await control.connected;
      await control.write(request('GET', base));
      const opened = await control.readResponse(3000);
      assert.equal(opened.status, 200);
      const { sid } = parseOpenPacket(opened.body.toString('utf8'));

      await poll.connected;
      for (let i = 0; i < answered; i++) {
        await poll.write(request('GET', `${base}&sid=${sid}`));
        await control.write(request('POST', `${base}&sid=${sid}`, '40/nowhere,'));
        assert.equal((await control.readResponse(3000)).body.toString('utf8'), 'ok');
        const answer = await poll.readResponse(3000);
        assert.match(answer.body.toString('utf8'), /^44\/nowhere,/, `poll ${i + 1} answered on the same connection`);
      }
      await poll.write(request('GET', `${base}&sid=${sid}`));
      await sleep(QUIET_MS);
      assert.equal(poll.buf.length, 0, 'the poll waits: nothing to send for 25 s');
      await control.write(request('POST', `${base}&sid=${sid}`, '6'));
      assert.equal((await control.readResponse(3000)).body.toString('utf8'), 'ok', 'the session is there');

      poll.destroy();
      // A noop POSTed on the other connection finds the session until it has ended.
      const answer = await eventually(async () => {
        await control.write(request('POST', `${base}&sid=${sid}`, '6'));
        const res = await control.readResponse(3000);
        return res.status === 200 ? null : res;
      }, 'end of the session whose poll lost its connection', 3000);
      assert.equal(answer.status, 400, `the session ended: ${answer.body.toString('utf8')}`);
      assert.deepEqual(JSON.parse(answer.body.toString('utf8')), { code: 1, message: 'Session ID unknown' });
    } finally {
      control.destroy();
      poll.destroy();
    }
  }

  test('a session whose client closes the connection of its waiting poll ends at once, not at the heartbeat timeout', T, async () => {
    await leaveWhilePolling(0);
  });

  test('the same when the waiting poll came after two answered ones on that keep-alive connection', T, async () => {
    await leaveWhilePolling(2);
  });
});
