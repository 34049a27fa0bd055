// reportd's logs end to end (issue 12, item 2), as a log pipeline reads them:
// - LOG_FORMAT=json: every line of the output is one JSON object with time, level and event,
//   whatever the input (a hostile username in a failed login is one valid line);
// - the access log: one line per REST request with method, route template, status, duration,
//   client address and request id; X-Request-Id in every response (the client's when sane,
//   a generated one otherwise), errors included;
// - LOG_LEVEL=warn hides info lines; the text format (the default) still writes logfmt.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, printLogIfFailed } from './lib/server.mjs';
import { api, login, startReportd, stopCleanly } from './lib/reportd.mjs';

const T = { timeout: 20000 };
const GENERATED_ID_RE = /^[A-Za-z0-9_-]{20}$/;
const ISO_UTC_MS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** The complete lines of the server's output so far. */
function lines(srv) {
  const out = srv.log();
  return out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter((l) => l !== '');
}

/** The parsed JSON lines so far; fails on a line that is not one JSON object. */
function jsonLines(srv) {
  return lines(srv).map((l) => {
    let value;
    assert.doesNotThrow(() => (value = JSON.parse(l)), `not JSON: ${l}`);
    assert.equal(typeof value, 'object', l);
    assert.ok(value !== null && !Array.isArray(value), l);
    return value;
  });
}

/** The first entry of `read()` (re-read until then) that `match` accepts. */
function waitForEntry(read, match, what) {
  return eventually(() => read().find(match), `log line for ${what}`);
}

/** The access line of the request whose response carried `requestId`. */
function accessLine(srv, requestId) {
  return waitForEntry(
    () => jsonLines(srv),
    (e) => e.event === 'http_request' && e.request_id === requestId,
    `the request ${requestId}`,
  );
}

/** Checks an access line's fields. */
function checkAccess(entry, { method, route, status }) {
  assert.equal(entry.level, 'info');
  assert.match(entry.time, ISO_UTC_MS_RE);
  assert.equal(entry.method, method);
  assert.equal(entry.route, route);
  assert.equal(entry.status, String(status));
  assert.match(entry.duration_ms, /^\d+\.\d{3}$/);
  assert.ok(Number(entry.duration_ms) < 10000, entry.duration_ms);
  assert.equal(entry.remote, '127.0.0.1');
}

describe('LOG_FORMAT=json', () => {
  let srv;
  let token;
  before(async () => {
    srv = await startReportd({
      users: [{ username: 'staff', role: 'operator', internal: true }],
      env: { LOG_FORMAT: 'json' },
    });
    token = await login(srv.url, 'staff', srv.users.staff.password);
  });
  after(async () => {
    if (srv) await stopCleanly(srv);
    // Everything written until the end, shutdown included, is JSON.
    if (srv) for (const e of jsonLines(srv)) assert.equal(typeof e.event, 'string', JSON.stringify(e));
  });
  afterEach((t) => printLogIfFailed(t, srv));

  test('a login and a report request: access lines with the route template and the client id', T, async () => {
    const r = await api(srv.url, 'POST', '/api/auth/login', {
      body: { username: 'staff', password: srv.users.staff.password },
      headers: { 'X-Request-Id': 'login-1.a_B' },
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-request-id'], 'login-1.a_B');
    checkAccess(await accessLine(srv, 'login-1.a_B'), { method: 'POST', route: '/api/auth/login', status: 200 });

    const created = await api(srv.url, 'POST', '/api/reports', {
      token,
      body: { title: 'Pothole', description: 'Deep' },
    });
    assert.equal(created.status, 201);
    const id = created.json.id;
    const comments = await api(srv.url, 'GET', `/api/reports/${id}/comments`, {
      token,
      headers: { 'X-Request-Id': 'comments-1' },
    });
    assert.equal(comments.status, 200);
    assert.equal(comments.headers['x-request-id'], 'comments-1');
    checkAccess(await accessLine(srv, 'comments-1'), {
      method: 'GET',
      route: '/api/reports/:id/comments',
      status: 200,
    });
    const entries = jsonLines(srv);
    assert.ok(entries.some((e) => e.event === 'login' && e.user_id === String(srv.users.staff.id)), 'login line');
    for (const e of entries) {
      assert.match(e.time, ISO_UTC_MS_RE, JSON.stringify(e));
      assert.ok(['debug', 'info', 'warn', 'error'].includes(e.level), JSON.stringify(e));
    }
  });

  test('a generated id when none or a hostile one is sent, in errors too', T, async () => {
    const cases = [
      { method: 'GET', path: '/api/reports/1', headers: {}, status: 401, route: '/api/reports/:id' },
      { method: 'GET', path: '/api/reports', headers: { 'X-Request-Id': 'a b"c' }, status: 401, route: '/api/reports' },
      { method: 'GET', path: '/api/nowhere/9', headers: { 'X-Request-Id': 'x'.repeat(129) }, status: 404, route: 'unmatched' },
      { method: 'DELETE', path: '/api/reports', headers: { 'X-Request-Id': 'é' }, status: 405, route: '/api/reports' },
      { method: 'GET', path: '/api/reports/1/comments', headers: { 'X-Request-Id': '' }, status: 401, route: '/api/reports/:id/comments' },
    ];
    const seen = new Set();
    for (const c of cases) {
      const r = await api(srv.url, c.method, c.path, { headers: c.headers });
      assert.equal(r.status, c.status, `${c.method} ${c.path}`);
      const id = r.headers['x-request-id'];
      assert.match(id ?? '', GENERATED_ID_RE, `${c.method} ${c.path}: ${id}`);
      assert.ok(!seen.has(id), 'a new id per request');
      seen.add(id);
      checkAccess(await accessLine(srv, id), c);
    }
    // 413 is answered before the body is read, still with an id and an access line.
    const big = await api(srv.url, 'POST', '/api/reports/1/comments', {
      rawBody: 'x'.repeat(70 * 1024),
      headers: { 'X-Request-Id': 'too-big' },
    });
    assert.equal(big.status, 413);
    assert.equal(big.headers['x-request-id'], 'too-big');
    checkAccess(await accessLine(srv, 'too-big'), {
      method: 'POST',
      route: '/api/reports/:id/comments',
      status: 413,
    });
  });

  test('a hostile username in a failed login is one valid line', T, async () => {
    const username = 'evil"}\n{"event":"forged\u0001\r\t\\\u001b[31mé';
    const r = await api(srv.url, 'POST', '/api/auth/login', {
      body: { username, password: 'wrong password' },
      headers: { 'X-Request-Id': 'hostile-login' },
    });
    assert.equal(r.status, 401);
    checkAccess(await accessLine(srv, 'hostile-login'), { method: 'POST', route: '/api/auth/login', status: 401 });
    const failed = jsonLines(srv).filter((e) => e.event === 'login_failed');
    assert.equal(failed.length, 1, JSON.stringify(failed));
    assert.equal(failed[0].level, 'info');
    assert.equal(failed[0].remote, '127.0.0.1');
    assert.equal(failed[0].username, username);
    assert.ok(!jsonLines(srv).some((e) => e.event === 'forged'));
  });
});

describe('LOG_LEVEL=warn', () => {
  test('hides info lines and keeps warnings', T, async () => {
    const srv = await startReportd({ env: { LOG_FORMAT: 'json', LOG_LEVEL: 'warn', MAX_SESSIONS_PER_ADDRESS: '1' } });
    let stopped = false;
    try {
      const failed = await api(srv.url, 'POST', '/api/auth/login', { body: { username: 'nobody', password: 'x' } });
      assert.equal(failed.status, 401);
      // A second Engine.IO session from one address is refused with a warning.
      for (let i = 0; i < 2; i++) await api(srv.url, 'GET', '/socket.io/?EIO=4&transport=polling');
      await waitForEntry(() => jsonLines(srv), (e) => e.event === 'engineio_sessions_full', 'the refused session');
      await stopCleanly(srv);
      stopped = true;
      const entries = jsonLines(srv);
      assert.deepEqual(entries.filter((e) => e.level === 'info' || e.level === 'debug'), []);
      assert.ok(entries.every((e) => e.level === 'warn' || e.level === 'error'), JSON.stringify(entries));
    } catch (err) {
      srv.printLog('server output of the failed test');
      throw err;
    } finally {
      if (!stopped) await srv.stop();
    }
  });
});

describe('LOG_FORMAT=text (the default)', () => {
  test('logfmt lines, the access line included', T, async () => {
    const srv = await startReportd({ users: [{ username: 'staff', role: 'operator', internal: true }] });
    try {
      await login(srv.url, 'staff', srv.users.staff.password);
      const line = await waitForEntry(
        () => lines(srv),
        (l) => l.includes(' event=http_request '),
        'the login',
      );
      assert.match(
        line,
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d level=info event=http_request method=POST route=\/api\/auth\/login status=200 duration_ms=\d+\.\d{3} request_id=[A-Za-z0-9_-]{20} remote=127\.0\.0\.1$/,
      );
      assert.ok(lines(srv).some((l) => / level=info event=listening url=http:\/\/localhost:\d+ /.test(l)), srv.log());
      assert.ok(!lines(srv).some((l) => l.startsWith('{')), srv.log());
    } catch (err) {
      srv.printLog('server output of the failed test');
      throw err;
    } finally {
      await stopCleanly(srv);
    }
  });
});
