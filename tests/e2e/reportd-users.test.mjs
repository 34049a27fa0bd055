// User administration over REST end to end (issue 12, item 5), and the OpenAPI document
// (item 4): admins list, create and change users (GET/POST /api/users, PATCH /api/users/:id)
// with the CLI's rules; everyone else is refused; a deactivation or a demotion made over REST
// ends the user's live connections within a second and their token is refused at once, as
// `reportd user deactivate` does; a password reset takes effect. Every response is checked
// against src/api/openapi.json (lib/openapi.mjs), and a self test shows that the check fails on
// drift. One reportd serves the file (PostgreSQL with E2E_DATABASE=postgres).

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventually, printLogIfFailed, startServer } from './lib/server.mjs';
import {
  stopCleanly,
  startReportd,
  connectLive,
  closeLive,
  emitAck,
  checkJoinAck,
  disconnection,
  assertServerDisconnects,
  randomSecret,
  reportdBin,
  UTC_MS_RE,
  OFFSET_MS_RE,
} from './lib/reportd.mjs';
import { api, login, openapi, responseChecker } from './lib/openapi.mjs';

const T = { timeout: 20000 };
/** The contract: a deactivated user's sockets are gone within a second (plus the test's own slack). */
const DEACTIVATION_MS = 1000;
const SLACK_MS = 300;

const USERS = [
  { username: 'boss', role: 'admin', internal: true },
  { username: 'op1', role: 'operator', internal: true },
  { username: 'cit', role: 'citizen' },
];

let srv;
let url;
const tok = {};
let reportId;
const opened = new Set();

before(async () => {
  // Rechecks are rare here, so whatever happens within a second is the change's doing.
  srv = await startReportd({ users: USERS, env: { USER_RECHECK_SECONDS: '60' } });
  url = srv.url;
  for (const u of USERS) tok[u.username] = await login(url, u.username, srv.users[u.username].password);
  const r = await api(url, 'POST', '/api/reports', { token: tok.cit, body: { title: 'Bench', description: 'A broken bench' } });
  assert.equal(r.status, 201, r.text);
  reportId = r.json.id;
});

after(async () => {
  if (srv) await stopCleanly(srv);
});

afterEach((t) => {
  for (const s of opened) closeLive(s);
  opened.clear();
  printLogIfFailed(t, srv);
});

async function live(token, transports) {
  const s = await connectLive(url, { auth: { token }, ...(transports ? { transports } : {}) });
  opened.add(s);
  return s;
}

function assertError(r, status, code, what) {
  assert.equal(r.status, status, `${what}: ${r.text}`);
  assert.equal(r.json.error.code, code, `${what}: ${r.text}`);
}

let serial = 0;
/** Creates a user through the API as the admin; resolves { ...account, password }. */
async function createUser(fields = {}) {
  const body = { username: `user${++serial}`, password: `pw-${serial}-long-enough`, role: 'operator', internal: true, ...fields };
  const r = await api(url, 'POST', '/api/users', { token: tok.boss, body });
  assert.equal(r.status, 201, r.text);
  return { ...r.json, password: body.password };
}

function patchUser(id, body, token = tok.boss) {
  return api(url, 'PATCH', `/api/users/${id}`, { token, body });
}

describe('the OpenAPI document', () => {
  test('GET /api/openapi.json serves the repository\'s document', T, async () => {
    const r = await api(url, 'GET', '/api/openapi.json');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(r.json, openapi);
    assert.equal(r.json.openapi, '3.1.0');
    assert.equal(r.json.components.securitySchemes.bearerAuth.scheme, 'bearer');
  });

  test('every documented path and method is served (no 404 for the path, no 405)', T, async () => {
    for (const [template, item] of Object.entries(openapi.paths)) {
      const pathname = template.replaceAll(/\{[^}]+\}/g, '1');
      for (const method of ['get', 'post', 'patch', 'put', 'delete'].filter((m) => item[m])) {
        // No token and no body: whatever the answer (checked against the document), it is the route's.
        const r = await api(url, method.toUpperCase(), pathname);
        assert.notEqual(r.status, 405, `${method} ${pathname}: ${r.text}`);
        assert.notEqual(r.json?.error?.code, 'not_found', `${method} ${pathname}: ${r.text}`);
      }
    }
  });

  test('the check fails on drift: an undocumented field, status, media type, path or method', () => {
    const { problems } = responseChecker(openapi);
    const json = (status, body, headers = {}) => ({ status, headers: { 'content-type': 'application/json', ...headers }, json: body, text: JSON.stringify(body) });
    const me = { id: 1, username: 'a', role: 'operator', internal: true };
    const error = { error: { code: 'x', message: 'y' } };
    assert.deepEqual(problems('GET', '/api/auth/me', json(200, me)), [], 'a documented response passes');
    assert.match(problems('GET', '/api/auth/me', json(200, { ...me, password_hash: 'h' }))[0], /additional properties/);
    assert.match(problems('GET', '/api/auth/me', json(200, { ...me, role: 'root' }))[0], /allowed values/);
    assert.match(problems('GET', '/api/auth/me', json(418, error))[0], /status 418 is not documented/);
    assert.match(problems('GET', '/api/auth/me', json(401, { error: { code: 'x' } }))[0], /message/);
    assert.match(problems('GET', '/api/auth/me', { status: 200, headers: { 'content-type': 'text/html' }, text: '<p>' })[0], /Content-Type/);
    assert.match(problems('GET', '/api/users?limit=1', json(200, { items: [{ ...me, active: true, created_at: 'yesterday' }], next_cursor: null }))[0], /created_at/);
    assert.match(problems('GET', '/api/nothing', json(200, {}))[0], /must be 404/);
    assert.match(problems('DELETE', '/api/users/1', json(405, error, { allow: 'GET, PATCH' })).join(), /Allow/);
    assert.deepEqual(problems('DELETE', '/api/users/1', json(405, error, { allow: 'PATCH' })), []);
  });
});

describe('admins manage users', () => {
  test('GET /api/users pages through every user by id, without password hashes', T, async () => {
    const made = [await createUser(), await createUser({ role: 'citizen', internal: false })];
    const seen = [];
    let cursor = '';
    for (let pages = 0; pages < 20; ++pages) {
      const r = await api(url, 'GET', `/api/users?limit=2&cursor=${cursor}`, { token: tok.boss });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.items.length <= 2);
      assert.doesNotMatch(r.text, /argon2|password/);
      for (const u of r.json.items) assert.match(u.created_at, OFFSET_MS_RE, 'Rome time on GET');
      seen.push(...r.json.items);
      if (r.json.next_cursor === null) break;
      cursor = r.json.next_cursor;
    }
    const ids = seen.map((u) => u.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'by id');
    assert.equal(new Set(ids).size, ids.length, 'no user twice');
    for (const u of [...USERS.map((x) => srv.users[x.username]), ...made]) {
      const found = seen.find((s) => s.id === u.id);
      assert.ok(found, `${u.username} listed`);
      assert.equal(found.username, u.username);
      assert.equal(found.role, u.role);
      assert.equal(found.active, true);
    }
    assertError(await api(url, 'GET', '/api/users?limit=101', { token: tok.boss }), 400, 'invalid_limit', 'limit=101');
    assertError(await api(url, 'GET', '/api/users?cursor=x', { token: tok.boss }), 400, 'invalid_cursor', 'cursor=x');
  });

  test('POST /api/users creates a user who can sign in', T, async () => {
    const r = await api(url, 'POST', '/api/users', {
      token: tok.boss,
      body: { username: 'newcomer', password: 'a-fine-password', role: 'operator', internal: true },
    });
    assert.equal(r.status, 201, r.text);
    const { id, created_at: createdAt, ...rest } = r.json;
    assert.deepEqual(rest, { username: 'newcomer', role: 'operator', internal: true, active: true });
    assert.ok(Number.isInteger(id) && id > 0);
    assert.match(createdAt, UTC_MS_RE, 'UTC on writes');
    const token = await login(url, 'newcomer', 'a-fine-password');
    const me = await api(url, 'GET', '/api/auth/me', { token });
    assert.deepEqual(me.json, { id, username: 'newcomer', role: 'operator', internal: true });
    // internal defaults to false, as with `reportd user add`.
    const citizen = await api(url, 'POST', '/api/users', { token: tok.boss, body: { username: 'plain', password: 'a-fine-password', role: 'citizen' } });
    assert.equal(citizen.status, 201, citizen.text);
    assert.equal(citizen.json.internal, false);
  });

  test('operators and citizens get 403, no token 401', T, async () => {
    const body = { username: 'sneaky', password: 'a-fine-password', role: 'admin', internal: true };
    for (const who of ['op1', 'cit']) {
      assertError(await api(url, 'GET', '/api/users', { token: tok[who] }), 403, 'forbidden', `${who} lists`);
      assertError(await api(url, 'POST', '/api/users', { token: tok[who], body }), 403, 'forbidden', `${who} creates`);
      assertError(await patchUser(srv.users[who].id, { role: 'admin', internal: true }, tok[who]), 403, 'forbidden', `${who} promotes themselves`);
    }
    assertError(await api(url, 'GET', '/api/users'), 401, 'unauthorized', 'no token');
    assertError(await api(url, 'POST', '/api/users', { body }), 401, 'unauthorized', 'no token');
    assertError(await api(url, 'PATCH', `/api/users/${srv.users.op1.id}`, { body: { active: false } }), 401, 'unauthorized', 'no token');
    assertError(await api(url, 'PUT', '/api/users/1', { token: tok.boss, body }), 405, 'method_not_allowed', 'PUT');
    const list = await api(url, 'GET', '/api/users?limit=100', { token: tok.boss });
    assert.ok(!list.json.items.some((u) => u.username === 'sneaky'), 'nobody was created');
    assert.equal(list.json.items.find((u) => u.id === srv.users.op1.id).role, 'operator', 'nobody was promoted');
  });

  test('the CLI\'s rules: roles, internal, passwords, names; unknown fields and ids', T, async () => {
    const post = (body) => api(url, 'POST', '/api/users', { token: tok.boss, body });
    const good = { username: 'ruly', password: 'a-fine-password', role: 'operator', internal: true };
    assertError(await post({ ...good, role: 'superuser' }), 400, 'invalid_role', 'unknown role');
    assertError(await post({ ...good, role: 'citizen', internal: true }), 400, 'invalid_role', 'internal citizen');
    assertError(await post({ ...good, role: 'admin', internal: false }), 400, 'invalid_role', 'admin not internal');
    assertError(await post({ ...good, password: 'short' }), 400, 'weak_password', 'short password');
    assertError(await post({ ...good, password: 'x'.repeat(1025) }), 400, 'password_too_long', 'long password');
    assertError(await post({ ...good, username: 'x'.repeat(65) }), 400, 'username_too_long', 'long username');
    assertError(await post({ ...good, username: '  ' }), 400, 'empty_username', 'blank username');
    assertError(await post({ ...good, username: 'op1' }), 409, 'username_taken', 'duplicate username');
    assertError(await post({ ...good, admin: true }), 400, 'unknown_field', 'unknown field');
    assertError(await post({ ...good, internal: 'yes' }), 400, 'invalid_internal', 'internal not a boolean');
    assertError(await post({ password: 'a-fine-password', role: 'operator' }), 400, 'invalid_username', 'no username');
    assertError(await api(url, 'POST', '/api/users', { token: tok.boss, rawBody: '{', }), 400, 'malformed_json', 'bad JSON');
    assertError(await api(url, 'POST', '/api/users', { token: tok.boss, rawBody: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type', 'text body');

    const user = await createUser();
    const misspelt = await patchUser(user.id, { activ: false });
    assertError(misspelt, 400, 'unknown_field', 'misspelt field');
    assert.equal(misspelt.json.error.message, 'unknown field "activ"');
    assertError(await patchUser(user.id, { active: 'false' }), 400, 'invalid_active', 'active not a boolean');
    assertError(await patchUser(user.id, { role: 'citizen' }), 400, 'invalid_role', 'an internal citizen');
    assertError(await patchUser(user.id, { role: 'root' }), 400, 'invalid_role', 'unknown role');
    assertError(await patchUser(user.id, { password: 'short' }), 400, 'weak_password', 'short password');
    assertError(await patchUser(99999999, { active: false }), 404, 'user_not_found', 'unknown id');
    assertError(await patchUser('abc', { active: false }), 404, 'user_not_found', 'not an id');
    const unchanged = await patchUser(user.id, {});
    assert.equal(unchanged.status, 200, unchanged.text);
    const { password, ...account } = user;
    assert.deepEqual(unchanged.json, account, 'an empty PATCH changes nothing');

    const changed = await patchUser(user.id, { role: 'citizen', internal: false });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.json.role, 'citizen');
    assert.equal(changed.json.internal, false);
    assert.match(changed.json.created_at, UTC_MS_RE);
  });

  test('an admin cannot deactivate or demote themselves; another admin can', T, async () => {
    const self = srv.users.boss.id;
    assertError(await patchUser(self, { active: false }), 409, 'own_access', 'self-deactivation');
    assertError(await patchUser(self, { role: 'operator' }), 409, 'own_access', 'self-demotion');
    assertError(await patchUser(self, { internal: false }), 409, 'own_access', 'self-demotion (internal)');
    const same = await patchUser(self, { role: 'admin', internal: true, active: true });
    assert.equal(same.status, 200, `the same values are no change: ${same.text}`);
    assert.equal((await api(url, 'GET', '/api/auth/me', { token: tok.boss })).status, 200, 'still signed in');

    const second = await createUser({ role: 'admin' });
    const token = await login(url, second.username, second.password);
    const demoted = await patchUser(second.id, { role: 'operator' });
    assert.equal(demoted.status, 200, demoted.text);
    assertError(await api(url, 'GET', '/api/users', { token }), 403, 'forbidden', 'a demoted admin at once');
  });
});

describe('changes reach live connections at once', () => {
  test('PATCH active=false: every live socket ends within 1 s, REST refuses the token at once; active=true lets the user back in', T, async (t) => {
    const user = await createUser();
    const stayer = await live(tok.op1);
    const token = await login(url, user.username, user.password);
    const sockets = [await live(token, ['websocket']), await live(token, ['polling'])];
    for (const s of sockets) checkJoinAck(await emitAck(s, 'join_report', { reportId }), reportId, user.id);
    const ends = sockets.map(disconnection);

    const off = await patchUser(user.id, { active: false });
    const since = Date.now();
    assert.equal(off.status, 200, off.text);
    assert.equal(off.json.active, false);
    assertError(await api(url, 'GET', '/api/auth/me', { token }), 401, 'unauthorized', 'REST right after the PATCH');
    await assertServerDisconnects(t, ends, since, DEACTIVATION_MS + SLACK_MS, 'the deactivated user\'s live sockets');
    await assert.rejects(connectLive(url, { auth: { token } }), (err) => err.message === 'unauthorized');
    assertError(await api(url, 'POST', '/api/auth/login', { body: { username: user.username, password: user.password } }), 401, 'unauthorized', 'login');
    assert.ok(stayer.connected, 'another user stays connected');

    const on = await patchUser(user.id, { active: true });
    assert.equal(on.json.active, true);
    const again = await live(await login(url, user.username, user.password));
    checkJoinAck(await emitAck(again, 'join_report', { reportId }), reportId, user.id);
  });

  test('PATCH internal=false ends the live sockets; the user may still sign in as a citizen', T, async (t) => {
    const user = await createUser();
    const token = await login(url, user.username, user.password);
    const socket = await live(token);
    checkJoinAck(await emitAck(socket, 'join_report', { reportId }), reportId, user.id);
    const ends = [disconnection(socket)];
    const demoted = await patchUser(user.id, { role: 'citizen', internal: false });
    const since = Date.now();
    assert.equal(demoted.status, 200, demoted.text);
    assertError(await api(url, 'GET', `/api/reports/${reportId}/comments`, { token }), 403, 'forbidden', 'internal comments right after');
    await assertServerDisconnects(t, ends, since, DEACTIVATION_MS + SLACK_MS, 'the demoted user\'s live socket');
    assert.equal((await api(url, 'GET', '/api/auth/me', { token })).json.role, 'citizen');
  });

  test('a password reset: the old password is refused, the new one accepted', T, async () => {
    const user = await createUser();
    const reset = await patchUser(user.id, { password: 'a-brand-new-password' });
    assert.equal(reset.status, 200, reset.text);
    assert.doesNotMatch(reset.text, /password/);
    assertError(await api(url, 'POST', '/api/auth/login', { body: { username: user.username, password: user.password } }), 401, 'unauthorized', 'old password');
    await login(url, user.username, 'a-brand-new-password');
  });
});

describe('demo data', () => {
  test('reportd serve --demo creates an admin and prints its password', T, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reportd-demo-'));
    const demo = await startServer({
      bin: reportdBin,
      binEnv: 'REPORTD_BIN',
      args: ['serve', '--demo'],
      env: { DATABASE_URL: `sqlite:${path.join(dir, 'demo.db')}`, JWT_SECRET: randomSecret(), HOST: '127.0.0.1' },
      readyTimeoutMs: 15000,
    });
    try {
      // Printed before reportd listens; the pipe may still be delivering it.
      const adminLine = /^ {2}admin +admin \/ (\S+)$/m;
      const password = (await eventually(() => adminLine.exec(demo.log()), "the admin's password in the output"))[1];
      const token = await login(demo.url, 'admin', password);
      const r = await api(demo.url, 'GET', '/api/users', { token });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(
        r.json.items.map(({ username, role, internal }) => ({ username, role, internal })),
        [
          { username: 'admin', role: 'admin', internal: true },
          { username: 'operator', role: 'operator', internal: true },
          { username: 'citizen', role: 'citizen', internal: false },
        ],
      );
    } finally {
      const { code } = await demo.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.equal(code, 0, 'a clean stop');
    }
  });
});
