// reportd on PostgreSQL, what only PostgreSQL has (the rest runs in the REST, live and
// durability suites with E2E_DATABASE=postgres): the database going away and coming back
// (503 with Retry-After and an unready /readyz meanwhile, recovery without a restart of
// reportd), and several nodes starting at once on an empty database (the migration runs once,
// under an advisory lock). Each test has a cluster of its own, since it stops the server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './lib/server.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { startReportd, api, login } from './lib/reportd.mjs';

const T = { timeout: 60000 };

/** Polls `f` until it returns true (bounded). */
async function eventually(f, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await f()) return;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

test('the database goes away: 503 with Retry-After, /readyz unready; back: reportd recovers by itself', T, async () => {
  const pg = await startPostgres();
  let srv;
  try {
    pg.createDatabase('outage');
    srv = await startReportd({
      users: [{ username: 'op', role: 'operator', internal: true }],
      env: { DATABASE_URL: pg.url('outage'), DATABASE_POOL_SIZE: '2' },
    });
    const token = await login(srv.url, 'op', srv.users.op.password);
    const report = await api(srv.url, 'POST', '/api/reports', { token, body: { title: 'Outage', description: 'd' } });
    assert.equal(report.status, 201, report.text);
    const comments = `/api/reports/${report.json.id}/comments`;
    assert.equal((await api(srv.url, 'POST', comments, { token, body: { comment: 'before' } })).status, 201);
    assert.equal((await api(srv.url, 'GET', '/readyz')).status, 200);

    pg.stopServer();
    const ready = await api(srv.url, 'GET', '/readyz');
    assert.equal(ready.status, 503, ready.text);
    const post = await api(srv.url, 'POST', comments, { token, body: { comment: 'during' } });
    assert.equal(post.status, 503, post.text);
    assert.equal(post.headers['retry-after'], '1');
    const get = await api(srv.url, 'GET', comments, { token });
    assert.equal(get.status, 503, get.text);
    assert.equal(get.headers['retry-after'], '1');
    assert.equal((await api(srv.url, 'GET', '/healthz')).status, 200, 'alive all the same');

    pg.startServer();
    await eventually(async () => (await api(srv.url, 'GET', '/readyz')).status === 200, '/readyz back to 200');
    const after = await api(srv.url, 'POST', comments, { token, body: { comment: 'after' } });
    assert.equal(after.status, 201, after.text);
    const listed = await api(srv.url, 'GET', comments, { token });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.json.items.map((c) => c.comment),
      ['before', 'after'],
      'the comment refused during the outage is not stored',
    );
    assert.equal(srv.proc.exitCode, null, 'reportd kept running');
  } finally {
    await srv?.stop();
    pg.stop();
  }
});

test('three nodes starting at once on an empty database all come up; the schema is migrated once', T, async () => {
  const pg = await startPostgres();
  const nodes = [];
  try {
    pg.createDatabase('cluster');
    const env = { DATABASE_URL: pg.url('cluster') };
    const started = await Promise.allSettled([1, 2, 3].map(() => startReportd({ env })));
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    for (const s of started) assert.equal(s.status, 'fulfilled', s.reason?.message);
    for (const node of nodes) assert.equal((await api(node.url, 'GET', '/readyz')).status, 200);
    assert.deepEqual(
      pg.queryJson('cluster', 'SELECT version FROM schema_migrations ORDER BY version'),
      [{ version: 1 }, { version: 2 }, { version: 3 }],
    );
    // One database behind all of them: a user added through one node logs in on another.
    const user = nodes[0].addUser({ username: 'shared', role: 'operator', internal: true });
    await login(nodes[2].url, 'shared', user.password);
  } finally {
    for (const node of nodes) await node.stop();
    pg.stop();
  }
});
