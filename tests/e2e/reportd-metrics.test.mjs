// reportd's /metrics end to end: the Prometheus text parses, and the counters and histograms move
// by exactly what a few logins, a report, a comment, a live socket and some refused connections
// cause; reportd_build_info names what `reportd --version` prints.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { printLogIfFailed } from './lib/server.mjs';
import { stopCleanly, startReportd, api, login, connectLive, closeLive, emitAck, collectEvents, checkJoinAck } from './lib/reportd.mjs';

const T = { timeout: 20000 };

/**
 * A small parser of the Prometheus text format (0.0.4): every line is a comment, a HELP or
 * TYPE line, or a sample `name{label="value",...} number`; anything else fails the test.
 * Returns { types: Map(name -> type), samples: [{ name, labels, value }] }.
 */
function parsePrometheus(text) {
  const types = new Map();
  const samples = [];
  const LABEL = String.raw`[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"`;
  const SAMPLE = new RegExp(String.raw`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:${LABEL},?)*)\})? (\S+)(?: -?\d+)?$`);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (type) {
        assert.ok(!types.has(type[1]), `TYPE given twice for ${type[1]}`);
        types.set(type[1], type[2]);
      } else {
        assert.match(line, /^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$|^# /, `comment line: ${line}`);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    const value = { '+Inf': Infinity, '-Inf': -Infinity, NaN }[m[3]] ?? Number(m[3]);
    assert.ok(!Number.isNaN(value) || m[3] === 'NaN', `value of ${line}`);
    samples.push({ name: m[1], labels, value });
  }
  // Every sample belongs to a family with a TYPE (a histogram's _bucket, _sum and _count too).
  for (const { name } of samples) {
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(types.has(family), `no TYPE for ${name}`);
    if (family !== name) assert.equal(types.get(family), 'histogram', `${name}: a histogram's series`);
  }
  return { types, samples };
}

/** A scrape of /metrics: `value(name, labels)` is the sample with exactly those labels, or undefined. */
async function scrape(url) {
  const r = await api(url, 'GET', '/metrics');
  assert.equal(r.status, 200, r.text);
  assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const parsed = parsePrometheus(r.text);
  const same = (a, b) => Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
  return {
    ...parsed,
    text: r.text,
    value(name, labels = {}) {
      return parsed.samples.find((s) => s.name === name && same(s.labels, labels))?.value;
    },
  };
}

/** How much `name{labels}` grew from `before` to `after` (a series not there yet counts as 0). */
function delta(before, after, name, labels = {}) {
  const now = after.value(name, labels);
  assert.ok(now !== undefined, `${name} ${JSON.stringify(labels)} missing from /metrics`);
  return now - (before.value(name, labels) ?? 0);
}

/** Checks one histogram series: cumulative buckets ending in +Inf = _count, and a _sum. */
function checkHistogram(scraped, name, labels = {}) {
  const buckets = scraped.samples
    .filter((s) => s.name === `${name}_bucket` && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .filter((s) => Object.keys(s.labels).length === Object.keys(labels).length + 1);
  assert.ok(buckets.length >= 2, `${name} ${JSON.stringify(labels)}: buckets in\n${scraped.text}`);
  const bounds = buckets.map((b) => Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
  assert.deepEqual(bounds, [...bounds].sort((a, b) => a - b), `${name}: buckets in order`);
  assert.equal(bounds.at(-1), Infinity, `${name}: a +Inf bucket`);
  for (let i = 1; i < buckets.length; ++i) assert.ok(buckets[i].value >= buckets[i - 1].value, `${name}: cumulative`);
  const count = scraped.value(`${name}_count`, labels);
  assert.equal(buckets.at(-1).value, count, `${name}: +Inf bucket = _count`);
  assert.ok(scraped.value(`${name}_sum`, labels) >= 0, `${name}_sum`);
  return { count, sum: scraped.value(`${name}_sum`, labels), buckets };
}

describe('/metrics', () => {
  let srv;
  const opened = new Set();

  before(async () => {
    srv = await startReportd({
      users: [
        { username: 'op', role: 'operator', internal: true },
        { username: 'alice', role: 'citizen' },
      ],
      env: { MAX_SESSIONS_PER_ADDRESS: '2' },
    });
  });

  after(async () => {
    if (srv) await stopCleanly(srv);
  });

  afterEach((t) => {
    printLogIfFailed(t, srv);
    for (const s of opened) closeLive(s);
    opened.clear();
  });

  test('reportd --version prints the version and commit that reportd_build_info labels', T, async () => {
    const r = srv.run(['--version']);
    assert.equal(r.status, 0, r.stderr);
    const m = /^reportd (\S+) \(commit (\S+)\)\n$/.exec(r.stdout);
    assert.ok(m, `reportd --version: ${JSON.stringify(r.stdout)}`);
    const [, version, commit] = m;
    assert.match(version, /^\d+\.\d+\.\d+$/);
    assert.match(commit, /^([0-9a-f]{7,40}|unknown)$/);
    const scraped = await scrape(srv.url);
    assert.equal(scraped.types.get('reportd_build_info'), 'gauge');
    assert.equal(scraped.value('reportd_build_info', { version, commit }), 1);
    assert.equal(scraped.samples.filter((s) => s.name === 'reportd_build_info').length, 1);
  });

  test('logins, a report, a comment and live sockets move the counters and histograms by what they did', T, async () => {
    const before = await scrape(srv.url);
    const { users, url } = srv;

    // Logins: one good, one bad password, then a rate-limited one (5 failures lock a pair out).
    const opToken = await login(url, 'op', users.op.password);
    const alice = users.alice;
    const failedFrom = '127.0.0.7';
    for (let i = 0; i < 5; ++i) {
      const r = await api(url, 'POST', '/api/auth/login', { body: { username: 'alice', password: 'wrong!' }, localAddress: failedFrom });
      assert.equal(r.status, 401, r.text);
    }
    const limited = await api(url, 'POST', '/api/auth/login', { body: { username: 'alice', password: alice.password }, localAddress: failedFrom });
    assert.equal(limited.status, 429, limited.text);
    const aliceToken = await login(url, 'alice', alice.password);

    // A report, read back by its id and with a path no route has.
    const report = await api(url, 'POST', '/api/reports', { token: aliceToken, body: { title: 'Pothole', description: 'Deep' } });
    assert.equal(report.status, 201, report.text);
    const id = report.json.id;
    assert.equal((await api(url, 'GET', `/api/reports/${id}`, { token: aliceToken })).status, 200);
    assert.equal((await api(url, 'GET', `/api/reports/${id}/nothing-here`, { token: aliceToken })).status, 404);
    // A body over the limit, answered before it is read: counted all the same.
    const tooBig = await api(url, 'POST', `/api/reports/${id}/comments`, { token: opToken, rawBody: 'x'.repeat(70 * 1024) });
    assert.equal(tooBig.status, 413);

    // A live socket that follows the report and sees the comment; one refused by the middleware.
    const socket = await connectLive(url, { auth: { token: opToken } });
    opened.add(socket);
    checkJoinAck(await emitAck(socket, 'join_report', { reportId: id }), id);
    const comments = collectEvents(socket, 'comment.created');
    await assert.rejects(connectLive(url, { auth: { token: 'not-a-token' } }), (err) => err.message === 'unauthorized');
    const posted = await api(url, 'POST', `/api/reports/${id}/comments`, { token: opToken, body: { comment: 'On my way' } });
    assert.equal(posted.status, 201, posted.text);
    await comments.waitForCount(1);

    // Engine.IO handshakes over MAX_SESSIONS_PER_ADDRESS=2 from one address: the third is refused.
    const handshakeFrom = '127.0.0.8';
    const handshakes = [];
    for (let i = 0; i < 3; ++i) {
      handshakes.push((await api(url, 'GET', '/socket.io/?EIO=4&transport=polling', { localAddress: handshakeFrom })).status);
    }
    assert.deepEqual(handshakes, [200, 200, 429]);

    const after = await scrape(srv.url);
    const rest = (method, route, status) => delta(before, after, 'reportd_rest_requests_total', { method, route, status: String(status) });
    assert.equal(rest('POST', '/api/auth/login', 200), 2);
    assert.equal(rest('POST', '/api/auth/login', 401), 5);
    assert.equal(rest('POST', '/api/auth/login', 429), 1);
    assert.equal(rest('POST', '/api/reports', 201), 1);
    assert.equal(rest('GET', '/api/reports/:id', 200), 1);
    assert.equal(rest('GET', 'unmatched', 404), 1);
    assert.equal(rest('POST', '/api/reports/:id/comments', 413), 1);
    assert.equal(rest('POST', '/api/reports/:id/comments', 201), 1);
    for (const s of after.samples.filter((x) => x.name.startsWith('reportd_rest_'))) {
      assert.ok(!String(s.labels.route).includes(String(id)), `a raw path in ${JSON.stringify(s)}`);
    }

    const logins = (outcome) => delta(before, after, 'reportd_logins_total', { outcome });
    assert.equal(logins('success'), 2);
    assert.equal(logins('bad_credentials'), 5);
    assert.equal(logins('rate_limited'), 1);
    assert.equal(logins('inactive'), 0);

    assert.equal(delta(before, after, 'reportd_comments_committed_total'), 1);
    assert.equal(delta(before, after, 'reportd_comment_commit_batch_size_count'), 1);
    assert.equal(delta(before, after, 'reportd_comment_commit_batch_size_sum'), 1);
    assert.equal(delta(before, after, 'reportd_comment_commit_duration_seconds_count'), 1);
    assert.equal(delta(before, after, 'reportd_connects_refused_total', { reason: 'middleware' }), 1);
    assert.equal(delta(before, after, 'reportd_connects_refused_total', { reason: 'address_cap' }), 1);
    assert.equal(delta(before, after, 'reportd_connects_refused_total', { reason: 'invalid_namespace' }), 0);
    // The comment, and the presence updates of the join: at least one broadcast.
    assert.ok(delta(before, after, 'reportd_broadcast_duration_seconds_count') >= 1);

    for (const [name, labels] of [
      ['reportd_rest_request_duration_seconds', { method: 'POST', route: '/api/auth/login' }],
      ['reportd_comment_commit_batch_size', {}],
      ['reportd_comment_commit_duration_seconds', {}],
      ['reportd_broadcast_duration_seconds', {}],
    ]) {
      assert.equal(after.types.get(name), 'histogram', name);
      checkHistogram(after, name, labels);
    }
    const loginLatency = checkHistogram(after, 'reportd_rest_request_duration_seconds', { method: 'POST', route: '/api/auth/login' });
    assert.equal(loginLatency.count - (before.value('reportd_rest_request_duration_seconds_count', { method: 'POST', route: '/api/auth/login' }) ?? 0), 8);
    assert.ok(loginLatency.sum > 0, 'a login takes some time (a password hash)');

    for (const name of ['reportd_packets_dropped_total', 'reportd_slow_consumer_disconnects_total', 'reportd_comments_committed_total']) {
      assert.equal(after.types.get(name), 'counter', name);
    }
    assert.equal(after.value('reportd_live_sockets'), 1);
    assert.ok(after.value('reportd_engineio_sessions') >= 3, 'the live socket and the two polling sessions');
    assert.equal(after.value('reportd_slow_consumer_disconnects_total'), 0);
  });
});
