// Durability under kill -9 (issue 8): while 20 writers post comments over REST and live
// clients follow the report, reportd is killed with SIGKILL at random moments and restarted on
// the same database (SQLite, or PostgreSQL with E2E_DATABASE=postgres). Afterwards, read from
// the database itself:
// - every comment that got a 201 is there, exactly once, with the text that was posted;
// - no comment whose request was answered with an error is there;
// - no client ever received a comment.created for a comment that is not there (nor one twice).
// A request that got no answer (the server died under it) may or may not have committed; the
// test reports how many did. Writers then retry with a new text, as a careful client would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { sleep, withTimeout } from './lib/server.mjs';
import { startReportd, api, login, emitAck, collectEvents, closeLive, LIVE_NSP } from './lib/reportd.mjs';

const WRITERS = 20;
const ROUNDS = 5;
/** Writers run this long (uniformly at random, ms) between a restart and the next kill. */
const RUN_MS = [300, 1500];
/** The server stays down this long (ms) before it is restarted, so writers meet a closed port. */
const DOWN_MS = [0, 200];
const REQUEST_TIMEOUT_MS = 3000;

const between = ([low, high]) => low + Math.floor(Math.random() * (high - low + 1));

/**
 * One writer: posts unique texts one after the other until `run.stopping`, and files each
 * attempt under its outcome: created (201 body), rejected (any other status) or unanswered
 * (the request failed without a response: connection refused, reset or timed out).
 */
async function writer(index, run) {
  for (let attempt = 0; !run.stopping; attempt++) {
    const text = `writer ${index} attempt ${attempt}`;
    let r;
    try {
      r = await api(run.srv.url, 'POST', `/api/reports/${run.reportId}/comments`, {
        token: run.writerToken,
        body: { comment: text },
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
    } catch (err) {
      // Refused: nothing was sent, so it cannot have committed; the others may have.
      const kind = /ECONNREFUSED/.test(err.message) ? 'refused' : 'unanswered';
      run[kind].push(text);
      await sleep(20);
      continue;
    }
    if (r.status === 201) {
      run.created.push({ text, body: r.json });
    } else {
      run.rejected.push({ text, status: r.status, body: r.text });
      // 503 with Retry-After is the comment writer's admission limit: back off a little.
      if (r.status === 503) await sleep(50);
    }
  }
}

/**
 * A socket.io-client that follows the report like the front end: reconnects after every
 * restart (quickly, so that it misses as little as possible) and joins the report on every
 * connect. Records every comment.created it receives.
 */
function follower(url, token, reportId, transports) {
  const socket = io(`${url}${LIVE_NSP}`, {
    forceNew: true,
    auth: { token },
    transports,
    reconnectionDelay: 50,
    reconnectionDelayMax: 250,
    timeout: 2000,
  });
  const state = { socket, transports: transports.join('+'), connects: 0, joined: false, events: null };
  state.events = collectEvents(socket, 'comment.created');
  socket.on('connect', async () => {
    state.connects++;
    state.joined = false;
    try {
      const ack = await emitAck(socket, 'join_report', { reportId }, 2000);
      state.joined = ack?.ok === true && socket.connected;
    } catch {
      // The server died before it answered: the next connect joins again.
    }
  });
  socket.on('disconnect', () => {
    state.joined = false;
  });
  return state;
}

/** Resolves once `client` is connected and has joined the report (bounded). */
async function joined(client, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (!client.joined) {
    if (Date.now() > deadline) {
      throw new Error(`${client.transports} client not connected and joined (${client.connects} connects)`);
    }
    await sleep(20);
  }
}

/** Resolves once at least one more comment has been created than `count` (bounded). */
async function moreCreated(run, count, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  while (run.created.length <= count) {
    if (Date.now() > deadline) throw new Error(`no comment created within ${timeoutMs} ms after a restart`);
    await sleep(10);
  }
}

/** Every comment row of the report, read from the database itself with the server dead. */
function commentsInDatabase(srv, reportId) {
  return srv.queryRows(
    `SELECT id, report_id, owner_id, text FROM comments WHERE report_id = ${Number(reportId)} ORDER BY id`,
  );
}

test('comments survive kill -9: every 201 stored once, no event for an unstored comment', { timeout: 60000 }, async (t) => {
  const srv = await startReportd({
    users: [
      { username: 'writer', role: 'operator', internal: true },
      { username: 'watcher', role: 'operator', internal: true },
    ],
  });
  const clients = [];
  try {
    const writerToken = await login(srv.url, 'writer', srv.users.writer.password);
    const watcherToken = await login(srv.url, 'watcher', srv.users.watcher.password);
    const report = await api(srv.url, 'POST', '/api/reports', {
      token: writerToken,
      body: { title: 'Durability', description: 'killed and restarted' },
    });
    assert.equal(report.status, 201, report.text);
    const reportId = report.json.id;

    clients.push(follower(srv.url, watcherToken, reportId, ['websocket']));
    clients.push(follower(srv.url, watcherToken, reportId, ['polling', 'websocket']));
    for (const c of clients) await joined(c);

    const run = { srv, reportId, writerToken, stopping: false, created: [], rejected: [], unanswered: [], refused: [] };
    const writers = Array.from({ length: WRITERS }, (_, i) => writer(i, run));
    const startedAt = Date.now();
    for (let round = 1; round <= ROUNDS; round++) {
      await moreCreated(run, run.created.length);
      await sleep(between(RUN_MS));
      await srv.crash();
      await sleep(between(DOWN_MS));
      await srv.restart();
    }
    await moreCreated(run, run.created.length);
    run.stopping = true;
    await withTimeout(Promise.all(writers), REQUEST_TIMEOUT_MS + 2000, 'writers to stop');
    const writingSeconds = (Date.now() - startedAt) / 1000;

    // Live after the last restart: a new comment reaches both clients.
    for (const c of clients) await joined(c);
    const last = await api(srv.url, 'POST', `/api/reports/${reportId}/comments`, {
      token: writerToken,
      body: { comment: 'after the last restart' },
    });
    assert.equal(last.status, 201, last.text);
    run.created.push({ text: 'after the last restart', body: last.json });
    for (const c of clients) {
      const deadline = Date.now() + 5000;
      while (!c.events.items.some((p) => p.id === last.json.id) && Date.now() < deadline) await sleep(20);
      assert.ok(c.events.items.some((p) => p.id === last.json.id), `${c.transports} client got the last comment`);
    }

    await srv.crash();
    const rows = commentsInDatabase(srv, reportId);
    const rowById = new Map(rows.map((row) => [row.id, row]));
    const rowsByText = new Map();
    for (const row of rows) rowsByText.set(row.text, (rowsByText.get(row.text) ?? 0) + 1);

    // Every 201 is stored, exactly once, as answered.
    const createdIds = new Set();
    for (const { text, body } of run.created) {
      assert.ok(!createdIds.has(body.id), `id ${body.id} answered twice with 201`);
      createdIds.add(body.id);
      const row = rowById.get(body.id);
      assert.ok(row, `comment ${body.id} (${text}) got a 201 but is not in the database`);
      assert.equal(row.text, text, `comment ${body.id} stored with another text`);
      assert.equal(body.comment, text, `201 body of ${body.id} carries another text`);
    }
    const twice = [...rowsByText].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'texts stored more than once');

    // Nothing is stored that was refused, answered with an error, or never sent.
    const sent = new Set([...run.created.map((c) => c.text), ...run.unanswered]);
    for (const { text, status } of run.rejected) {
      assert.ok(!rowsByText.has(text), `"${text}" was answered ${status} but is in the database`);
    }
    for (const text of run.refused) assert.ok(!rowsByText.has(text), `"${text}" was refused but is in the database`);
    for (const row of rows) assert.ok(sent.has(row.text), `row ${row.id} "${row.text}" was never posted`);

    // Every event a client received is a stored comment, equal to its 201 body, and came once.
    const bodyById = new Map(run.created.map(({ body }) => [body.id, body]));
    let eventsChecked = 0;
    for (const c of clients) {
      const seen = new Set();
      for (const payload of c.events.items) {
        const row = rowById.get(payload.id);
        assert.ok(row, `${c.transports} client received comment ${payload.id} that is not in the database`);
        assert.equal(payload.comment, row.text, `event ${payload.id} text`);
        assert.equal(payload.report_id, row.report_id, `event ${payload.id} report`);
        assert.equal(payload.commentOwner_id, row.owner_id, `event ${payload.id} owner`);
        if (bodyById.has(payload.id)) assert.deepEqual(payload, bodyById.get(payload.id), `event ${payload.id} = its 201 body`);
        assert.ok(!seen.has(payload.id), `${c.transports} client received comment ${payload.id} twice`);
        seen.add(payload.id);
        eventsChecked++;
      }
      assert.ok(c.connects >= ROUNDS + 1, `${c.transports} client reconnected after every restart (${c.connects} connects)`);
    }

    const unansweredCommitted = run.unanswered.filter((text) => rowsByText.has(text)).length;
    assert.ok(run.created.length >= ROUNDS * WRITERS, `enough comments to mean something (${run.created.length})`);
    t.diagnostic(
      `${ROUNDS} kill -9 rounds in ${writingSeconds.toFixed(1)} s; ${rows.length} comments in the database; ` +
        `${run.created.length} answered 201 (all stored once); ${run.rejected.length} answered with an error ` +
        `(${[...new Set(run.rejected.map((r) => r.status))].join(',') || 'none'}; none stored); ` +
        `${run.unanswered.length} unanswered, of which ${unansweredCommitted} committed; ` +
        `${run.refused.length} refused while down; ${eventsChecked} comment.created events checked ` +
        `(${clients.map((c) => `${c.transports}: ${c.events.items.length}`).join(', ')})`,
    );
  } catch (err) {
    srv.printLog(`server output for failed test "${t.name}"`);
    throw err;
  } finally {
    for (const c of clients) closeLive(c.socket);
    await srv.stop().catch(() => {});
  }
});
