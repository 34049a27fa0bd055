// The Node.js baseline of the benchmarks (bench/baseline-node/server.mjs) end to end: seeded
// with its own seed command on a temporary database, it must behave like reportd on what the
// benchmark exercises (login, comment creation, the /ws/internal live channel), so that the
// comparison measures the same work. Every wait is bounded.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { printLogIfFailed, repoRoot, sleep, startServer } from './lib/server.mjs';
import {
  api,
  login,
  connectLive,
  closeLive,
  emitAck,
  collectEvents,
  decodeJwt,
  randomSecret,
  signJwt,
  UTC_MS_RE,
} from './lib/reportd.mjs';

const serverPath = path.join(repoRoot, 'bench', 'baseline-node', 'server.mjs');
const T = { timeout: 8000 };
const PASSWORD = 'baseline-test-password';

let dir;
let env;
let srv;
let url;
const tok = {};
const opened = new Set();

/** Runs the baseline's seed command with `args`; returns its stdout, throws unless it exits 0. */
function seed(args) {
  const r = spawnSync(process.execPath, [serverPath, 'seed', ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 5000,
  });
  if (r.error || r.status !== 0) {
    throw new Error(`seed ${args.join(' ')} failed (${r.error?.message ?? `status ${r.status}`}): ${r.stderr}`);
  }
  return r.stdout;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baseline-node-e2e-'));
  env = { DATABASE_FILE: path.join(dir, 'baseline.db'), JWT_SECRET: randomSecret() };
  assert.match(
    seed(['--users', '2', '--internal', '--prefix', 'op', '--password', PASSWORD, '--reports', '1']),
    /users_created=2 .*reports_total=1/,
  );
  // Seeding again creates nothing.
  assert.match(
    seed(['--users', '2', '--internal', '--prefix', 'op', '--password', PASSWORD, '--reports', '1']),
    /users_created=0 users_existing=2 reports_created=0 reports_total=1/,
  );
  seed(['--users', '1', '--citizen', '--prefix', 'citizen', '--password', PASSWORD]);

  srv = await startServer({ bin: process.execPath, args: [serverPath], env, readyTimeoutMs: 5000 });
  url = srv.url;
  for (const name of ['op0', 'op1', 'citizen0']) tok[name] = await login(url, name, PASSWORD);
});

after(async () => {
  try {
    if (srv) {
      const { code, signal } = await srv.stop({ timeoutMs: 3000 });
      assert.equal(signal, null, 'the baseline must exit by itself after SIGTERM');
      assert.equal(code, 0, 'the baseline must exit with code 0 after SIGTERM');
      assert.match(srv.log(), new RegExp(`^listening port=${srv.port}$`, 'm'));
    }
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

afterEach((t) => {
  printLogIfFailed(t, srv);
  for (const s of opened) closeLive(s);
  opened.clear();
});

async function live(opts) {
  const s = await connectLive(url, opts, 3000);
  opened.add(s);
  return s;
}

/** The connect_error of a connection attempt that must be refused. */
async function refusal(opts) {
  try {
    const s = await connectLive(url, opts, 3000);
    opened.add(s);
  } catch (err) {
    return err;
  }
  assert.fail('the connection was accepted');
}

describe('baseline-node REST', () => {
  test('healthz and login answer like reportd', T, async () => {
    const health = await api(url, 'GET', '/healthz');
    assert.equal(health.status, 200);
    assert.deepEqual(health.json, { status: 'ok' });

    const r = await api(url, 'POST', '/api/auth/login', { body: { username: 'op0', password: PASSWORD } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.user, { id: 1, username: 'op0', role: 'operator', internal: true });
    const claims = decodeJwt(r.json.token);
    assert.equal(claims.sub, '1');
    assert.equal(claims.role, 'operator');
    assert.equal(claims.internal, true);
    assert.equal(claims.iss, 'reportd');
    assert.equal(claims.exp - claims.iat, 3600);

    const citizen = await api(url, 'POST', '/api/auth/login', {
      body: { username: 'citizen0', password: PASSWORD },
    });
    assert.deepEqual(citizen.json.user, { id: 3, username: 'citizen0', role: 'citizen', internal: false });

    const wrong = await api(url, 'POST', '/api/auth/login', { body: { username: 'op0', password: 'nope-nope' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.json.error.code, 'unauthorized');
  });

  test('POST /api/reports creates a report', T, async () => {
    const r = await api(url, 'POST', '/api/reports', {
      token: tok.citizen0,
      body: { title: 'Pothole', description: 'Deep one' },
    });
    assert.equal(r.status, 201);
    assert.equal(r.json.owner_id, 3);
    assert.equal(r.json.title, 'Pothole');
    assert.equal(r.json.status, 'open');
    assert.match(r.json.created_at, UTC_MS_RE);
    assert.equal((await api(url, 'POST', '/api/reports', { body: { title: 't', description: 'd' } })).status, 401);
  });

  test('comment errors: 400 empty or too long, 404 unknown report, 403 citizen, 401 no token', T, async () => {
    const post = (token, id, body) => api(url, 'POST', `/api/reports/${id}/comments`, { token, body });
    const empty = await post(tok.op0, 1, { comment: ' \n\t ' });
    assert.equal(empty.status, 400);
    assert.equal(empty.json.error.code, 'empty_comment');
    const long = await post(tok.op0, 1, { comment: 'é'.repeat(2001) });
    assert.equal(long.status, 400);
    assert.equal(long.json.error.code, 'comment_too_long');
    assert.equal((await post(tok.op0, 1, { comment: 'é'.repeat(2000) })).status, 201);
    const missing = await post(tok.op0, 999, { comment: 'hello' });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.error.code, 'report_not_found');
    assert.equal((await post(tok.citizen0, 1, { comment: 'hello' })).status, 403);
    assert.equal((await post(undefined, 1, { comment: 'hello' })).status, 401);
    assert.equal((await post('garbage', 1, { comment: 'hello' })).status, 401);
  });
});

describe('baseline-node live channel', () => {
  test('comment.created reaches the room with the body of the 201', T, async () => {
    const a = await live({ auth: { token: tok.op0 } });
    // The other way to authenticate: the Authorization header of the handshake request.
    const b = await live({ extraHeaders: { Authorization: `Bearer ${tok.op1}` } });
    const outsider = await live({ auth: { token: tok.op1 } });
    for (const s of [a, b]) {
      assert.deepEqual(await emitAck(s, 'join_report', { reportId: 1 }), { ok: true, room: 'report:1' });
    }
    const gotA = collectEvents(a, 'comment.created');
    const gotB = collectEvents(b, 'comment.created');
    const gotOutsider = collectEvents(outsider, 'comment.created');

    const r = await api(url, 'POST', '/api/reports/1/comments', {
      token: tok.op0,
      body: { comment: 'Team on site at 9' },
    });
    assert.equal(r.status, 201);
    assert.deepEqual(Object.keys(r.json).sort(), ['comment', 'commentOwner_id', 'creation_date', 'id', 'report_id']);
    assert.equal(r.json.comment, 'Team on site at 9');
    assert.equal(r.json.commentOwner_id, 1);
    assert.equal(r.json.report_id, 1);
    assert.match(r.json.creation_date, UTC_MS_RE);

    assert.deepEqual((await gotA.waitForCount(1, 2000))[0], r.json);
    assert.deepEqual((await gotB.waitForCount(1, 2000))[0], r.json);

    // After leave_report, nothing more arrives on that socket.
    assert.deepEqual(await emitAck(b, 'leave_report', { reportId: 1 }), { ok: true, room: 'report:1' });
    const second = await api(url, 'POST', '/api/reports/1/comments', { token: tok.op1, body: { comment: 'done' } });
    assert.equal(second.status, 201);
    assert.deepEqual((await gotA.waitForCount(2, 2000))[1], second.json);
    await sleep(200);
    assert.equal(gotB.items.length, 1);
    assert.equal(gotOutsider.items.length, 0);
  });

  test('join_report refuses bad and unknown reportIds with an ack, and stays connected', T, async () => {
    const s = await live({ auth: { token: tok.op0 } });
    for (const payload of [{ reportId: 'x' }, { reportId: 1.5 }, { reportId: -1 }, {}, 'nope', undefined]) {
      const ack = await emitAck(s, 'join_report', payload);
      assert.equal(ack.ok, false, JSON.stringify(payload));
      assert.equal(ack.error.code, 'invalid_report_id');
    }
    const unknown = await emitAck(s, 'join_report', { reportId: 999 });
    assert.deepEqual(unknown, { ok: false, error: { code: 'report_not_found', message: 'no such report' } });
    assert.equal(s.connected, true);
  });

  test('a citizen is refused with forbidden, a bad token with unauthorized', T, async () => {
    const citizen = await refusal({ auth: { token: tok.citizen0 } });
    assert.equal(citizen.message, 'forbidden');
    assert.deepEqual(citizen.data, { code: 403 });

    for (const opts of [
      { auth: { token: 'garbage' } },
      {},
      { extraHeaders: { Authorization: 'Bearer garbage' } },
      // Right secret, wrong issuer.
      { auth: { token: signJwt({ sub: '1', iss: 'someone-else', exp: Math.floor(Date.now() / 1000) + 60 }, env.JWT_SECRET) } },
      // A user that does not exist.
      { auth: { token: signJwt({ sub: '99', iss: 'reportd', exp: Math.floor(Date.now() / 1000) + 60 }, env.JWT_SECRET) } },
    ]) {
      const err = await refusal(opts);
      assert.equal(err.message, 'unauthorized', JSON.stringify(opts));
      assert.deepEqual(err.data, { code: 401 });
    }
  });
});
