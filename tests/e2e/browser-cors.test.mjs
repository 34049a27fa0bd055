// reportd's CORS policy (issue 8, item 13) as a real browser sees it: headless
// Chromium loads a page from another origin (http://localhost:<static port>,
// while reportd is http://127.0.0.1:<port>) that runs the spec's client example
// with the official socket.io-client browser bundle, and posts a comment with
// fetch. By default and with CORS_ORIGINS naming the page's origin, the page
// connects, upgrades to WebSocket, joins and receives comment.created; with
// CORS_ORIGINS naming another origin, polling is blocked by the browser and a
// WebSocket-only client is refused with 403.

import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { repoRoot } from './lib/server.mjs';
import { startReportd, api, checkJoinAck, login } from './lib/reportd.mjs';
import { serveFiles, withChromiumPage } from './lib/browser.mjs';

const T = { timeout: 40000 };
/** Bound of every wait for something to happen in the page. */
const PAGE_WAIT_MS = 10000;

const PAGE_FILES = {
  '/live-client.html': { file: path.join(repoRoot, 'tests/e2e/browser/live-client.html'), type: 'text/html; charset=utf-8' },
  '/live-client.js': { file: path.join(repoRoot, 'tests/e2e/browser/live-client.js'), type: 'text/javascript' },
  '/socket.io.min.js': {
    file: path.join(repoRoot, 'node_modules/socket.io-client/dist/socket.io.min.js'),
    type: 'text/javascript',
  },
};

/** Servers of the running test; printed if it failed, then stopped. */
const running = [];

afterEach(async (t) => {
  for (const s of running.splice(0)) {
    if (t.passed === false && s.printLog) s.printLog(`reportd of failed test "${t.name}"`);
    await s.stop();
  }
});

/**
 * Starts the static server for the page, then reportd with envFor(pageOrigin),
 * an internal operator and a report. Resolves { pageOrigin, url, token, reportId,
 * pageUrl(query) }.
 */
async function setUp(envFor) {
  const files = await serveFiles(PAGE_FILES);
  running.push({ stop: () => files.close() });
  const pageOrigin = `http://localhost:${files.port}`;
  const srv = await startReportd({ users: [{ username: 'op1', role: 'operator', internal: true }], env: envFor(pageOrigin) });
  running.push(srv);
  const token = await login(srv.url, 'op1', srv.users.op1.password);
  const report = await api(srv.url, 'POST', '/api/reports', { token, body: { title: 'Browser', description: 'seen from a page on another origin' } });
  assert.equal(report.status, 201, report.text);
  const reportId = report.json.id;
  const pageUrl = (extra = {}) =>
    `${pageOrigin}/live-client.html?${new URLSearchParams({ api: srv.url, token, report: String(reportId), ...extra })}`;
  return { pageOrigin, url: srv.url, token, reportId, pageUrl };
}

/**
 * Waits until `predicate(live)` holds in the page (window.live, see live-client.js).
 * On timeout the error shows the page's state and the browser's console.
 */
async function waitInPage({ page, consoleLines }, what, predicate) {
  try {
    await page.waitForFunction(predicate, undefined, { timeout: PAGE_WAIT_MS, polling: 50 });
  } catch (err) {
    const state = await page.evaluate(() => window.live).catch((e) => `unreadable: ${e.message}`);
    throw new Error(
      `${what}: not within ${PAGE_WAIT_MS} ms (${err.message.split('\n')[0]})\n` +
        `page state: ${JSON.stringify(state)}\nbrowser console:\n${consoleLines.join('\n') || '(empty)'}`,
    );
  }
  return page.evaluate(() => window.live);
}

/** The browser's console, for assertion messages. */
const consoleOf = ({ consoleLines }) => `browser console:\n${consoleLines.join('\n') || '(empty)'}`;

/**
 * The whole front-end flow must work from the page's origin: connect, upgrade
 * to WebSocket, join, receive a comment posted over REST by another client, and
 * post one itself with fetch (preflighted) and receive that too.
 */
async function assertPageWorks(envFor) {
  const s = await setUp(envFor);
  await withChromiumPage(async (b) => {
    await b.page.goto(s.pageUrl(), { timeout: PAGE_WAIT_MS });
    let live = await waitInPage(b, 'join_report acked or connect_error', () => window.live.joinAck || window.live.connectErrors.length);
    assert.deepEqual(live.connectErrors, [], `no connect_error\n${consoleOf(b)}`);
    checkJoinAck(live.joinAck, s.reportId);

    live = await waitInPage(b, 'upgrade to WebSocket', () => window.live.transportAfterUpgrade);
    assert.equal(live.transportAfterUpgrade, 'websocket');
    assert.equal(await b.page.evaluate(() => window.socket.io.engine.transport.name), 'websocket');

    const posted = await api(s.url, 'POST', `/api/reports/${s.reportId}/comments`, { token: s.token, body: { comment: 'from Node' } });
    assert.equal(posted.status, 201, posted.text);
    live = await waitInPage(b, 'comment.created of the REST comment', () => window.live.comments.length >= 1);
    assert.deepEqual(live.comments, [posted.json], 'the payload equals the 201 body');

    const fromPage = await b.page.evaluate((text) => window.postComment(text), 'from the page');
    assert.equal(fromPage.status, 201, `cross-origin POST with Authorization from the page: ${JSON.stringify(fromPage)}\n${consoleOf(b)}`);
    live = await waitInPage(b, "comment.created of the page's own comment", () => window.live.comments.length >= 2);
    assert.deepEqual(live.comments, [posted.json, fromPage.body]);
  });
}

test('default settings: a page on another origin connects, upgrades, joins and receives comments', T, async () => {
  await assertPageWorks(() => ({}));
});

test("CORS_ORIGINS naming the page's origin: the same works", T, async () => {
  await assertPageWorks((pageOrigin) => ({ CORS_ORIGINS: pageOrigin }));
});

test('CORS_ORIGINS naming another origin: the page can neither poll, nor open a WebSocket, nor post', T, async () => {
  const s = await setUp(() => ({ CORS_ORIGINS: 'http://some-other.example' }));

  await withChromiumPage(async (b) => {
    await b.page.goto(s.pageUrl(), { timeout: PAGE_WAIT_MS });
    const live = await waitInPage(b, 'connect_error with polling', () => window.live.connectErrors.length);
    assert.equal(live.connected, false);
    assert.equal(live.connectErrors[0], 'xhr poll error');
    assert.match(b.consoleLines.join('\n'), /blocked by CORS policy/, consoleOf(b));

    const fromPage = await b.page.evaluate((text) => window.postComment(text), 'must not be stored');
    assert.match(String(fromPage.error), /Failed to fetch/, JSON.stringify(fromPage));
    const comments = await api(s.url, 'GET', `/api/reports/${s.reportId}/comments`, { token: s.token });
    assert.equal(comments.status, 200, comments.text);
    assert.deepEqual(comments.json.items, [], 'the refused preflight kept the POST from being sent');
  });

  await withChromiumPage(async (b) => {
    await b.page.goto(s.pageUrl({ transports: 'websocket' }), { timeout: PAGE_WAIT_MS });
    const live = await waitInPage(b, 'connect_error with WebSocket only', () => window.live.connectErrors.length);
    assert.equal(live.connected, false);
    assert.equal(live.connectErrors[0], 'websocket error');
    assert.match(b.consoleLines.join('\n'), /WebSocket connection to .* failed: .*403/, consoleOf(b));
  });
});
