// reportd REST API end to end: login (and its rate limit), /api/auth/me,
// reports (create, get, list with status filter, visibility and pagination,
// status changes), internal comments (create with every error of the contract,
// list with cursor pagination in Rome time), operations endpoints, 404s and 405s.
// One reportd with a fresh SQLite database (PostgreSQL with E2E_DATABASE=postgres) serves
// the whole file. Every response must be one that src/api/openapi.json describes (lib/openapi.mjs).

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { printLogIfFailed } from './lib/server.mjs';
import { stopCleanly, startReportd, signJwt, romeIso, UTC_MS_RE, OFFSET_MS_RE } from './lib/reportd.mjs';
// Every response is checked against src/api/openapi.json.
import { api, login } from './lib/openapi.mjs';

const T = { timeout: 20000 };

let srv;
let url;
const tok = {}; // username -> token
let users; // username -> { id, username, role, internal, password }

const USERS = [
  { username: 'op1', role: 'operator', internal: true },
  { username: 'admin1', role: 'admin', internal: true },
  { username: 'alice', role: 'citizen' },
  { username: 'bob', role: 'citizen' },
  { username: 'carol', role: 'citizen' }, // for the login rate limit only
];

/** Asserts the error shape {"error":{"code","message"}} and the status. */
function assertError(r, status, what) {
  assert.equal(r.status, status, `${what}: expected ${status}, got ${r.status} ${r.text}`);
  assert.match(String(r.headers['content-type']), /^application\/json/, `${what}: error Content-Type`);
  assert.equal(typeof r.json?.error?.code, 'string', `${what}: error.code in ${r.text}`);
  assert.ok(r.json.error.code.length > 0, `${what}: non-empty error.code`);
  assert.equal(typeof r.json.error.message, 'string', `${what}: error.message in ${r.text}`);
}

async function createReport(token, fields = {}) {
  const body = { title: 'Pothole', description: 'A deep pothole on Via Appia', ...fields };
  const r = await api(url, 'POST', '/api/reports', { token, body });
  assert.equal(r.status, 201, `create report: ${r.text}`);
  return r.json;
}

async function createComment(token, reportId, comment) {
  const r = await api(url, 'POST', `/api/reports/${reportId}/comments`, { token, body: { comment } });
  assert.equal(r.status, 201, `create comment: ${r.text}`);
  return r.json;
}

before(async () => {
  srv = await startReportd({ users: USERS });
  url = srv.url;
  users = srv.users;
  for (const u of ['op1', 'admin1', 'alice', 'bob']) tok[u] = await login(url, u, users[u].password);
});

after(async () => {
  if (!srv) return;
  await stopCleanly(srv);
});

afterEach((t) => printLogIfFailed(t, srv));

describe('auth', () => {
  test('login returns a token and the user', T, async () => {
    const r = await api(url, 'POST', '/api/auth/login', {
      body: { username: 'op1', password: users.op1.password },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(typeof r.json.token, 'string');
    assert.equal(r.json.token.split('.').length, 3, 'a JWT');
    assert.deepEqual(r.json.user, { id: users.op1.id, username: 'op1', role: 'operator', internal: true });

    const c = await api(url, 'POST', '/api/auth/login', {
      body: { username: 'alice', password: users.alice.password },
    });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.json.user, { id: users.alice.id, username: 'alice', role: 'citizen', internal: false });
  });

  test('login with a wrong password or an unknown user is 401', T, async () => {
    const wrong = await api(url, 'POST', '/api/auth/login', { body: { username: 'bob', password: 'not-the-password' } });
    assertError(wrong, 401, 'wrong password');
    assert.equal(wrong.json.token, undefined);
    const unknown = await api(url, 'POST', '/api/auth/login', { body: { username: 'nobody', password: 'whatever123' } });
    assertError(unknown, 401, 'unknown user');
    // bob's failure is forgotten by a success (and bob still logs in).
    await login(url, 'bob', users.bob.password);
  });

  test('login needs a JSON body with string username and password', T, async () => {
    assertError(await api(url, 'POST', '/api/auth/login', { body: { username: 'op1' } }), 400, 'no password');
    assertError(await api(url, 'POST', '/api/auth/login', { body: { username: 1, password: 'x' } }), 400, 'username not a string');
    assertError(await api(url, 'POST', '/api/auth/login', { rawBody: '{"username":' }), 400, 'malformed JSON');
    assertError(
      await api(url, 'POST', '/api/auth/login', { rawBody: 'username=op1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'form body',
    );
  });

  test('GET /api/auth/me returns the user behind the token', T, async () => {
    const r = await api(url, 'GET', '/api/auth/me', { token: tok.admin1 });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { id: users.admin1.id, username: 'admin1', role: 'admin', internal: true });
    const c = await api(url, 'GET', '/api/auth/me', { token: tok.alice });
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.json, { id: users.alice.id, username: 'alice', role: 'citizen', internal: false });
  });

  test('GET /api/auth/me without, with a garbage, a badly signed, an expired or an alg-none token is 401', T, async () => {
    assertError(await api(url, 'GET', '/api/auth/me'), 401, 'no token');
    assertError(await api(url, 'GET', '/api/auth/me', { token: 'garbage' }), 401, 'garbage token');
    assertError(await api(url, 'GET', '/api/auth/me', { headers: { authorization: 'Basic b3AxOnB3' } }), 401, 'Basic auth');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: String(users.op1.id), role: 'operator', internal: true, iat: now, exp: now + 600, iss: 'reportd' };
    // Control: the hand-made token is accepted when signed with the server's secret.
    const good = await api(url, 'GET', '/api/auth/me', { token: signJwt(claims, srv.secret) });
    assert.equal(good.status, 200, `hand-signed token with the right secret: ${good.text}`);
    assertError(await api(url, 'GET', '/api/auth/me', { token: signJwt(claims, 'another secret') }), 401, 'other secret');
    assertError(
      await api(url, 'GET', '/api/auth/me', { token: signJwt({ ...claims, iat: now - 7200, exp: now - 3600 }, srv.secret) }),
      401,
      'expired token',
    );
    assertError(await api(url, 'GET', '/api/auth/me', { token: signJwt(claims, null, { alg: 'none' }) }), 401, 'alg none');
  });

  test('login is refused with 429 and Retry-After after 5 failures for a username', T, async () => {
    for (let i = 1; i <= 5; i++) {
      const r = await api(url, 'POST', '/api/auth/login', { body: { username: 'carol', password: `wrong-password-${i}` } });
      assertError(r, 401, `failure ${i}`);
    }
    // Even the right password is refused now.
    const r = await api(url, 'POST', '/api/auth/login', { body: { username: 'carol', password: users.carol.password } });
    assertError(r, 429, 'sixth attempt');
    const retryAfter = r.headers['retry-after'];
    assert.ok(retryAfter !== undefined, `Retry-After header present: ${JSON.stringify(r.headers)}`);
    assert.match(retryAfter, /^\d+$/, 'Retry-After is a number of seconds');
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 15 * 60, `Retry-After ${retryAfter} within the 15 min window`);
    // Another user is not affected.
    await login(url, 'alice', users.alice.password);
  });
});

describe('reports', () => {
  test('POST /api/reports creates an open report (UTC timestamps with Z)', T, async () => {
    const before = Date.now();
    const r = await api(url, 'POST', '/api/reports', {
      token: tok.alice,
      body: { title: 'Broken light', description: 'Lamp off at Via Roma 12', category: 'lighting', latitude: 41.9028, longitude: 12.4964 },
    });
    const afterMs = Date.now();
    assert.equal(r.status, 201, r.text);
    const rep = r.json;
    assert.deepEqual(Object.keys(rep).sort(), [
      'category', 'created_at', 'description', 'id', 'latitude', 'longitude', 'owner_id', 'status', 'title', 'updated_at',
    ]);
    assert.ok(Number.isInteger(rep.id) && rep.id > 0);
    assert.equal(rep.owner_id, users.alice.id);
    assert.equal(rep.title, 'Broken light');
    assert.equal(rep.description, 'Lamp off at Via Roma 12');
    assert.equal(rep.status, 'open');
    assert.equal(rep.category, 'lighting');
    assert.equal(rep.latitude, 41.9028);
    assert.equal(rep.longitude, 12.4964);
    assert.match(rep.created_at, /Z$/);
    assert.match(rep.created_at, UTC_MS_RE);
    assert.match(rep.updated_at, UTC_MS_RE);
    const t = Date.parse(rep.created_at);
    assert.ok(t >= before - 2000 && t <= afterMs + 2000, `created_at ${rep.created_at} is now`);

    // Optional fields default to null; internal users may file reports too.
    const minimal = await createReport(tok.op1, { title: 'Graffiti', description: 'On the school wall' });
    assert.equal(minimal.owner_id, users.op1.id);
    assert.equal(minimal.category, null);
    assert.equal(minimal.latitude, null);
    assert.equal(minimal.longitude, null);
  });

  test('POST /api/reports needs a token and a valid body', T, async () => {
    assertError(await api(url, 'POST', '/api/reports', { body: { title: 't', description: 'd' } }), 401, 'no token');
    assertError(await api(url, 'POST', '/api/reports', { token: tok.alice, body: { description: 'd' } }), 400, 'no title');
    assertError(await api(url, 'POST', '/api/reports', { token: tok.alice, body: { title: '  ', description: 'd' } }), 400, 'blank title');
    assertError(await api(url, 'POST', '/api/reports', { token: tok.alice, body: { title: 't', description: 'd', latitude: 91 } }), 400, 'latitude 91');
    assertError(await api(url, 'POST', '/api/reports', { token: tok.alice, rawBody: '{"title":' }), 400, 'malformed JSON');
    assertError(
      await api(url, 'POST', '/api/reports', { token: tok.alice, rawBody: 'title=t', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'form body',
    );
  });

  test('GET /api/reports/:id renders Rome time; other citizens get 404', T, async () => {
    const created = await createReport(tok.alice, { title: 'Overflowing bin' });
    for (const who of ['alice', 'op1', 'admin1']) {
      const r = await api(url, 'GET', `/api/reports/${created.id}`, { token: tok[who] });
      assert.equal(r.status, 200, `${who}: ${r.text}`);
      const { created_at: c, updated_at: u, ...rest } = r.json;
      const { created_at: c0, updated_at: u0, ...rest0 } = created;
      assert.deepEqual(rest, rest0, `${who} sees the same report`);
      assert.match(c, OFFSET_MS_RE);
      assert.match(u, OFFSET_MS_RE);
      assert.equal(Date.parse(c), Date.parse(c0), 'created_at denotes the same instant');
      assert.equal(c, romeIso(c0), 'created_at in Europe/Rome with the right offset');
      assert.equal(u, romeIso(u0), 'updated_at in Europe/Rome with the right offset');
    }
    assertError(await api(url, 'GET', `/api/reports/${created.id}`, { token: tok.bob }), 404, "bob reads alice's report");
    assertError(await api(url, 'GET', '/api/reports/99999999', { token: tok.op1 }), 404, 'unknown report');
    assertError(await api(url, 'GET', '/api/reports/abc', { token: tok.op1 }), 404, 'non-numeric id');
    assertError(await api(url, 'GET', `/api/reports/${created.id}`), 401, 'no token');
  });

  test('PATCH /api/reports/:id changes the status (internal users only)', T, async () => {
    const rep = await createReport(tok.bob, { title: 'Fallen tree' });
    for (const status of ['in_progress', 'resolved', 'rejected', 'open']) {
      const r = await api(url, 'PATCH', `/api/reports/${rep.id}`, { token: tok.op1, body: { status } });
      assert.equal(r.status, 200, `${status}: ${r.text}`);
      assert.equal(r.json.id, rep.id);
      assert.equal(r.json.status, status);
    }
    const admin = await api(url, 'PATCH', `/api/reports/${rep.id}`, { token: tok.admin1, body: { status: 'resolved' } });
    assert.equal(admin.status, 200, admin.text);
    const got = await api(url, 'GET', `/api/reports/${rep.id}`, { token: tok.bob });
    assert.equal(got.json.status, 'resolved', 'the owner sees the new status');

    assertError(await api(url, 'PATCH', `/api/reports/${rep.id}`, { token: tok.bob, body: { status: 'open' } }), 403, 'citizen (owner)');
    assertError(await api(url, 'PATCH', `/api/reports/${rep.id}`, { token: tok.op1, body: { status: 'closed' } }), 400, 'unknown status');
    assertError(await api(url, 'PATCH', `/api/reports/${rep.id}`, { token: tok.op1, body: { status: 3 } }), 400, 'status not a string');
    assertError(await api(url, 'PATCH', `/api/reports/${rep.id}`, { token: tok.op1, body: {} }), 400, 'no status');
    assertError(await api(url, 'PATCH', '/api/reports/99999999', { token: tok.op1, body: { status: 'open' } }), 404, 'unknown report');
    assertError(await api(url, 'PATCH', `/api/reports/${rep.id}`, { body: { status: 'open' } }), 401, 'no token');
  });

  test('GET /api/reports: newest first, status filter, citizens see only their own, Rome time', T, async () => {
    const a1 = await createReport(tok.alice, { title: 'list a1' });
    const b1 = await createReport(tok.bob, { title: 'list b1' });
    const a2 = await createReport(tok.alice, { title: 'list a2' });
    const p = await api(url, 'PATCH', `/api/reports/${a2.id}`, { token: tok.op1, body: { status: 'in_progress' } });
    assert.equal(p.status, 200, p.text);

    const all = await api(url, 'GET', '/api/reports?limit=100', { token: tok.op1 });
    assert.equal(all.status, 200, all.text);
    assert.ok(Array.isArray(all.json.items));
    assert.ok('next_cursor' in all.json);
    const ids = all.json.items.map((r) => r.id);
    for (const id of [a1.id, b1.id, a2.id]) assert.ok(ids.includes(id), `internal user sees report ${id}`);
    assert.deepEqual(ids, [...ids].sort((x, y) => y - x), 'newest first');
    for (const r of all.json.items) {
      assert.match(r.created_at, OFFSET_MS_RE);
      assert.equal(r.created_at, romeIso(r.created_at), `created_at of ${r.id} in Europe/Rome`);
      assert.match(r.updated_at, OFFSET_MS_RE);
    }
    const owners = new Set(all.json.items.map((r) => r.owner_id));
    assert.ok(owners.has(users.alice.id) && owners.has(users.bob.id), 'internal users see everyone');

    const mine = await api(url, 'GET', '/api/reports?limit=100', { token: tok.alice });
    assert.equal(mine.status, 200, mine.text);
    assert.ok(mine.json.items.length >= 2);
    for (const r of mine.json.items) assert.equal(r.owner_id, users.alice.id, 'alice sees only her reports');
    assert.ok(mine.json.items.some((r) => r.id === a1.id) && mine.json.items.some((r) => r.id === a2.id));
    assert.ok(!mine.json.items.some((r) => r.id === b1.id), "alice does not see bob's report");

    const inProgress = await api(url, 'GET', '/api/reports?status=in_progress&limit=100', { token: tok.op1 });
    assert.equal(inProgress.status, 200, inProgress.text);
    assert.ok(inProgress.json.items.some((r) => r.id === a2.id));
    for (const r of inProgress.json.items) assert.equal(r.status, 'in_progress');
    const open = await api(url, 'GET', '/api/reports?status=open&limit=100', { token: tok.op1 });
    assert.ok(open.json.items.some((r) => r.id === a1.id) && !open.json.items.some((r) => r.id === a2.id));
    for (const r of open.json.items) assert.equal(r.status, 'open');
    const bobInProgress = await api(url, 'GET', '/api/reports?status=in_progress', { token: tok.bob });
    assert.equal(bobInProgress.status, 200);
    for (const r of bobInProgress.json.items) assert.equal(r.owner_id, users.bob.id);
    assert.ok(!bobInProgress.json.items.some((r) => r.id === a2.id), 'the filter keeps the visibility rule');

    assertError(await api(url, 'GET', '/api/reports?status=bogus', { token: tok.op1 }), 400, 'unknown status filter');
    assertError(await api(url, 'GET', '/api/reports'), 401, 'no token');
  });

  test('GET /api/reports pages with cursor and limit without gaps or duplicates', T, async () => {
    for (let i = 0; i < 3; i++) await createReport(tok.bob, { title: `page ${i}` });
    const everything = await api(url, 'GET', '/api/reports?limit=100', { token: tok.op1 });
    const expected = everything.json.items.map((r) => r.id);
    assert.ok(expected.length >= 5);
    const seen = [];
    let cursor = null;
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 100, 'pagination terminates');
      const q = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
      const r = await api(url, 'GET', `/api/reports${q}`, { token: tok.op1 });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.items.length <= 2);
      seen.push(...r.json.items.map((x) => x.id));
      cursor = r.json.next_cursor;
      if (cursor === null) break;
      assert.equal(typeof cursor, 'string', 'next_cursor is a string or null');
    }
    assert.deepEqual(seen, expected);
    assertError(await api(url, 'GET', '/api/reports?limit=0', { token: tok.op1 }), 400, 'limit=0');
    assertError(await api(url, 'GET', '/api/reports?cursor=abc', { token: tok.op1 }), 400, 'cursor=abc');
  });
});

describe('comments', () => {
  let report;
  before(async () => {
    report = await createReport(tok.alice, { title: 'Comment target' });
  });

  test('POST creates a comment: 201 with exactly the contract fields, creation_date UTC with ms and Z', T, async () => {
    const before = Date.now();
    const r = await api(url, 'POST', `/api/reports/${report.id}/comments`, { token: tok.op1, body: { comment: 'On my way' } });
    const afterMs = Date.now();
    assert.equal(r.status, 201, r.text);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.deepEqual(Object.keys(r.json).sort(), ['comment', 'commentOwner_id', 'creation_date', 'id', 'report_id']);
    assert.ok(Number.isInteger(r.json.id) && r.json.id > 0);
    assert.equal(r.json.comment, 'On my way');
    assert.equal(r.json.commentOwner_id, users.op1.id);
    assert.equal(r.json.report_id, report.id);
    assert.match(r.json.creation_date, UTC_MS_RE);
    const t = Date.parse(r.json.creation_date);
    assert.ok(t >= before - 2000 && t <= afterMs + 2000, `creation_date ${r.json.creation_date} is now`);

    const a = await createComment(tok.admin1, report.id, 'Admin here ✓ — àèìòù');
    assert.equal(a.commentOwner_id, users.admin1.id);
    assert.equal(a.comment, 'Admin here ✓ — àèìòù');
    assert.ok(a.id > r.json.id);
  });

  test('POST accepts 2000 characters (code points, not bytes) and refuses 2001', T, async () => {
    const ascii = await api(url, 'POST', `/api/reports/${report.id}/comments`, { token: tok.op1, body: { comment: 'x'.repeat(2000) } });
    assert.equal(ascii.status, 201, ascii.text.slice(0, 200));
    assert.equal(ascii.json.comment.length, 2000);
    const accented = await api(url, 'POST', `/api/reports/${report.id}/comments`, { token: tok.op1, body: { comment: 'è'.repeat(2000) } });
    assert.equal(accented.status, 201, `2000 two-byte characters: ${accented.text.slice(0, 200)}`);
    assertError(
      await api(url, 'POST', `/api/reports/${report.id}/comments`, { token: tok.op1, body: { comment: 'x'.repeat(2001) } }),
      400,
      '2001 characters',
    );
    assertError(
      await api(url, 'POST', `/api/reports/${report.id}/comments`, { token: tok.op1, body: { comment: 'è'.repeat(2001) } }),
      400,
      '2001 two-byte characters',
    );
  });

  test('POST errors: empty, blank, not a string, unknown report, no token, citizen, bad JSON, media type, size', T, async () => {
    const path = `/api/reports/${report.id}/comments`;
    const countBefore = (await api(url, 'GET', `${path}?limit=100`, { token: tok.op1 })).json.items.length;

    assertError(await api(url, 'POST', path, { token: tok.op1, body: { comment: '' } }), 400, 'empty comment');
    assertError(await api(url, 'POST', path, { token: tok.op1, body: { comment: '   \n\t  \r\n' } }), 400, 'whitespace-only comment');
    for (const comment of [42, null, true, ['a'], { text: 'a' }]) {
      assertError(await api(url, 'POST', path, { token: tok.op1, body: { comment } }), 400, `comment ${JSON.stringify(comment)}`);
    }
    assertError(await api(url, 'POST', path, { token: tok.op1, body: {} }), 400, 'no comment field');
    assertError(await api(url, 'POST', path, { token: tok.op1, body: ['comment'] }), 400, 'array body');
    assertError(await api(url, 'POST', path, { token: tok.op1, rawBody: '{"comment": "unterminated' }), 400, 'malformed JSON');
    assertError(await api(url, 'POST', path, { token: tok.op1, rawBody: '' }), 400, 'empty JSON body');
    assertError(
      await api(url, 'POST', path, { token: tok.op1, rawBody: '{"comment":"hi"}', headers: { 'content-type': 'text/plain' } }),
      415,
      'text/plain',
    );
    assertError(
      await api(url, 'POST', path, { token: tok.op1, rawBody: '{"comment":"hi"}', headers: { 'content-type': null } }),
      415,
      'no Content-Type',
    );
    const withCharset = await api(url, 'POST', path, {
      token: tok.op1,
      rawBody: '{"comment":"charset ok"}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(withCharset.status, 201, `application/json; charset=utf-8: ${withCharset.text}`);

    const big = JSON.stringify({ comment: 'x'.repeat(70 * 1024) });
    assertError(await api(url, 'POST', path, { token: tok.op1, rawBody: big }), 413, 'body over 64 KiB (Content-Length)');
    assertError(
      await api(url, 'POST', path, { token: tok.op1, rawBody: big, headers: { 'transfer-encoding': 'chunked' } }),
      413,
      'body over 64 KiB (chunked)',
    );

    assertError(await api(url, 'POST', '/api/reports/99999999/comments', { token: tok.op1, body: { comment: 'hi' } }), 404, 'unknown report');
    assertError(await api(url, 'POST', path, { body: { comment: 'hi' } }), 401, 'no token');
    assertError(await api(url, 'POST', path, { token: 'garbage', body: { comment: 'hi' } }), 401, 'garbage token');
    assertError(await api(url, 'POST', path, { token: tok.alice, body: { comment: 'hi' } }), 403, 'citizen (report owner)');
    assertError(await api(url, 'POST', path, { token: tok.bob, body: { comment: 'hi' } }), 403, 'citizen');

    const countAfter = (await api(url, 'GET', `${path}?limit=100`, { token: tok.op1 })).json.items.length;
    assert.equal(countAfter, countBefore + 1, 'only the charset=utf-8 comment was stored');
  });

  test('POST refuses comments made only of whitespace as JavaScript defines it (\\s: VT, FF, NBSP, U+2003, U+3000, BOM...)', T, async () => {
    const path = `/api/reports/${report.id}/comments`;
    // Every one of these is whitespace for String.prototype.trim() and /\s/ (the front end's
    // notion of "whitespace-only"); \v and \f are whitespace even for C's isspace().
    const blanks = {
      'VT FF': '\u000b\u000c',
      'VT': ' \u000b ',
      'FF': '\n\u000c\n',
      'NBSP': '\u00a0\u00a0',
      'OGHAM SPACE MARK': '\u1680',
      'EM SPACE': '\u2003',
      'LINE SEPARATOR': '\u2028',
      'PARAGRAPH SEPARATOR': '\u2029',
      'NARROW NBSP': '\u202f',
      'IDEOGRAPHIC SPACE': '\u3000',
      'BOM': '\ufeff',
      'mixed': ' \t\u00a0\u3000\r\n',
    };
    const got = {};
    const expected = {};
    for (const [name, comment] of Object.entries(blanks)) {
      assert.equal(comment.trim(), '', `${name} is whitespace for JavaScript`);
      const r = await api(url, 'POST', path, { token: tok.op1, body: { comment } });
      got[name] = r.status;
      expected[name] = 400;
    }
    assert.deepEqual(got, expected, 'status of each whitespace-only comment');
  });

  test('GET lists comments oldest first in Rome time; items equal the 201 bodies up to creation_date', T, async () => {
    const rep = await createReport(tok.bob, { title: 'Listing comments' });
    const created = [];
    created.push(await createComment(tok.op1, rep.id, 'first'));
    created.push(await createComment(tok.admin1, rep.id, 'second'));
    created.push(await createComment(tok.op1, rep.id, 'third'));
    const r = await api(url, 'GET', `/api/reports/${rep.id}/comments`, { token: tok.admin1 });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.next_cursor, null);
    assert.equal(r.json.items.length, 3);
    r.json.items.forEach((item, i) => {
      const { creation_date: d, ...rest } = item;
      const { creation_date: d0, ...rest0 } = created[i];
      assert.deepEqual(rest, rest0, `item ${i} equals the 201 body`);
      assert.match(d, OFFSET_MS_RE);
      assert.equal(Date.parse(d), Date.parse(d0), `item ${i}: same instant (${d} vs ${d0})`);
      assert.equal(d, romeIso(d0), `item ${i}: Europe/Rome local time and offset`);
    });

    const empty = await api(url, 'GET', `/api/reports/${report.id + 100000}/comments`, { token: tok.op1 });
    assertError(empty, 404, 'comments of an unknown report');
    assertError(await api(url, 'GET', `/api/reports/${rep.id}/comments`, { token: tok.bob }), 403, 'citizen (report owner)');
    assertError(await api(url, 'GET', `/api/reports/${rep.id}/comments`), 401, 'no token');
  });

  test('GET pages 5 comments with limit 2 into 3 pages, oldest first, no duplicates, null cursor at the end', T, async () => {
    const rep = await createReport(tok.alice, { title: 'Paging comments' });
    const created = [];
    for (let i = 1; i <= 5; i++) created.push(await createComment(i % 2 ? tok.op1 : tok.admin1, rep.id, `comment ${i}`));
    const pages = [];
    let cursor = null;
    do {
      assert.ok(pages.length < 10, 'pagination terminates');
      const q = cursor === null ? '?limit=2' : `?limit=2&cursor=${encodeURIComponent(cursor)}`;
      const r = await api(url, 'GET', `/api/reports/${rep.id}/comments${q}`, { token: tok.op1 });
      assert.equal(r.status, 200, r.text);
      pages.push(r.json.items);
      cursor = r.json.next_cursor;
      if (cursor !== null) assert.equal(typeof cursor, 'string');
    } while (cursor !== null);
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
    const ids = pages.flat().map((c) => c.id);
    assert.equal(new Set(ids).size, 5, 'no duplicates');
    assert.deepEqual(ids, created.map((c) => c.id), 'oldest first, nothing missing');
    assert.deepEqual(pages.flat().map((c) => c.comment), created.map((c) => c.comment));
    assertError(await api(url, 'GET', `/api/reports/${rep.id}/comments?limit=101`, { token: tok.op1 }), 400, 'limit=101');
    assertError(await api(url, 'GET', `/api/reports/${rep.id}/comments?cursor=-1`, { token: tok.op1 }), 400, 'cursor=-1');
  });
});

describe('operations and unknown paths', () => {
  test('GET /healthz and /readyz are 200', T, async () => {
    const h = await api(url, 'GET', '/healthz');
    assert.equal(h.status, 200, h.text);
    const r = await api(url, 'GET', '/readyz');
    assert.equal(r.status, 200, r.text);
  });

  test('GET /metrics is Prometheus text with reportd_websockets', T, async () => {
    const m = await api(url, 'GET', '/metrics');
    assert.equal(m.status, 200);
    assert.match(String(m.headers['content-type']), /^text\/plain/);
    assert.match(m.text, /^reportd_websockets \d+$/m);
  });

  test('unknown paths are 404 with a JSON error', T, async () => {
    assertError(await api(url, 'GET', '/nope'), 404, '/nope');
    assertError(await api(url, 'GET', '/api/nope', { token: tok.op1 }), 404, '/api/nope');
    assertError(await api(url, 'GET', `/api/reports/1/attachments`, { token: tok.op1 }), 404, '/api/reports/1/attachments');
    assertError(await api(url, 'POST', '/api/auth/nope', { body: {} }), 404, '/api/auth/nope');
  });

  test('a known path with another method is 405 with Allow, before the token and the id are looked at', T, async () => {
    const cases = [
      ['GET', '/api/auth/login', 'POST'],
      ['POST', '/api/auth/me', 'GET'],
      ['DELETE', '/api/reports', 'GET, POST'],
      ['DELETE', '/api/reports/1', 'GET, PATCH'],
      ['PUT', '/api/reports/not-an-id', 'GET, PATCH'],
      ['PATCH', '/api/reports/1/comments', 'GET, POST'],
    ];
    for (const [method, path, allow] of cases) {
      const r = await api(url, method, path); // no token at all
      assertError(r, 405, `${method} ${path}`);
      assert.equal(r.headers.allow, allow, `${method} ${path}: Allow`);
    }
    // With the right method, the token comes first (401), then the id (404).
    assertError(await api(url, 'GET', '/api/reports/not-an-id'), 401, 'no token, bad id');
    assertError(await api(url, 'GET', '/api/reports/not-an-id', { token: tok.op1 }), 404, 'bad id');
  });
});
