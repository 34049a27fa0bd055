// The staff console (issue 12, item 6) in headless Chromium, served by reportd at "/":
// two staff members on one report see each other's comments appear live, exactly once, while
// a third on another report does not; a citizen gets the citizen view and cannot reach internal
// comments; the sign-in form works from the keyboard; the report page fits a 375 px phone.
// Screenshots of the main pages go to test-output/screenshots/. Also the static-file answers
// themselves: types, security headers, ETag/304, HEAD, 404s.

import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib/server.mjs';
import { startReportd, api, login } from './lib/reportd.mjs';
import { collectConsole, withChromium } from './lib/browser.mjs';

const T = { timeout: 60000 };
/** Bound of every wait for something to happen in a page. */
const PAGE_WAIT_MS = 10000;
const SCREENSHOTS = path.join(repoRoot, 'test-output', 'screenshots');

let srv;
let tokens;
let reportA; // filed by the citizen; the staff discuss it
let reportB; // another report, filed by staff

before(async () => {
  srv = await startReportd({
    users: [
      { username: 'anna', role: 'operator', internal: true },
      { username: 'bruno', role: 'operator', internal: true },
      { username: 'dario', role: 'operator', internal: true },
      { username: 'carla', role: 'citizen' },
    ],
  });
  tokens = {};
  for (const name of ['anna', 'carla']) tokens[name] = await login(srv.url, name, srv.users[name].password);
  const create = async (token, body) => {
    const r = await api(srv.url, 'POST', '/api/reports', { token, body });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  reportA = await create(tokens.carla, {
    title: 'Broken <b>street</b> light',
    description: 'The light at Via Roma 12 has been off for a week.',
    category: 'lighting',
    latitude: 41.9028,
    longitude: 12.4964,
  });
  reportB = await create(tokens.anna, { title: 'Pothole', description: 'Deep one, Via Nazionale.' });
  // Twenty more, so that the staff list (20 a page, newest first) has a second page: A and B.
  for (let i = 1; i <= 20; ++i) await create(tokens.anna, { title: `Bulk ${i}`, description: 'For the pages.' });
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await srv?.stop();
});

test('GET / is the console: HTML, security headers, ETag and 304, HEAD, 404 for unknown paths', T, async () => {
  const index = await api(srv.url, 'GET', '/');
  assert.equal(index.status, 200);
  assert.match(index.headers['content-type'], /^text\/html; charset=utf-8$/);
  assert.match(index.text, /<script type="module" src="app.js"><\/script>/);
  assert.match(index.headers['content-security-policy'], /default-src 'self'; connect-src 'self' ws: wss:/);
  assert.equal(index.headers['x-content-type-options'], 'nosniff');
  assert.equal(index.headers['referrer-policy'], 'no-referrer');
  assert.equal(index.headers['cache-control'], 'no-cache');
  assert.match(index.headers.etag, /^"[0-9a-f]{32}"$/);

  const again = await api(srv.url, 'GET', '/index.html', { headers: { 'if-none-match': index.headers.etag } });
  assert.equal(again.status, 304);
  assert.equal(again.text, '');

  const head = await api(srv.url, 'HEAD', '/');
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
  assert.equal(Number(head.headers['content-length']), Buffer.byteLength(index.text));

  const bundle = await api(srv.url, 'GET', '/vendor/socket.io.esm.min.js');
  assert.equal(bundle.status, 200);
  assert.match(bundle.headers['content-type'], /^text\/javascript/);
  assert.equal(
    bundle.text,
    fs.readFileSync(path.join(repoRoot, 'node_modules/socket.io-client/dist/socket.io.esm.min.js'), 'utf8'),
    'the bundle is the one from npm',
  );

  for (const p of ['/nope', '/../CMakeLists.txt', '/vendor/', '/api/nope']) {
    const r = await api(srv.url, 'GET', p, { token: tokens.anna });
    assert.equal(r.status, 404, p);
    assert.equal(typeof r.json?.error?.code, 'string', `${p}: JSON error ${r.text}`);
  }
  const post = await api(srv.url, 'POST', '/app.js');
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
});

test('a CONSOLE_DIR that cannot be served stops the start with a message naming it', T, () => {
  const missing = path.join(srv.dir, 'no-console-here');
  const r = srv.run(['serve', '--port', '0', '--console-dir', missing]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, new RegExp(`${missing} is not a folder`));
});

/** A new page in its own context (own sessionStorage), with its console collected. */
async function openPage(browser, options = {}) {
  const context = await browser.newContext({ timezoneId: 'Asia/Tokyo', ...options });
  const page = await context.newPage();
  const consoleLines = collectConsole(page);
  const live = []; // requests of the live channel, WebSocket or polling
  page.on('websocket', (ws) => live.push(ws.url()));
  page.on('request', (r) => r.url().includes('/socket.io/') && live.push(r.url()));
  await page.goto(`${srv.url}/`, { timeout: PAGE_WAIT_MS });
  return { context, page, consoleLines, live };
}

/** Runs `step` (a Playwright wait or assertion); on failure the message shows the page's console. */
async function inPage(b, what, step) {
  try {
    return await step();
  } catch (err) {
    throw new Error(`${what}: ${err.message.split('\n')[0]}\nbrowser console:\n${b.consoleLines.join('\n') || '(empty)'}`);
  }
}

/**
 * Signs in through the form, with the mouse or with the keyboard alone (the focus starts in
 * the username field; Tab, then Enter).
 */
async function signIn(b, username, how = 'mouse') {
  const { page } = b;
  await inPage(b, `sign-in form for ${username}`, () => page.getByLabel('Username', { exact: true }).waitFor({ timeout: PAGE_WAIT_MS }));
  if (how === 'keyboard') {
    await page.keyboard.type(username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(srv.users[username].password);
    await page.keyboard.press('Enter');
  } else {
    await page.getByLabel('Username', { exact: true }).fill(username);
    await page.getByLabel('Password', { exact: true }).fill(srv.users[username].password);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  await inPage(b, `${username} signed in`, () =>
    page.locator('#session-user').getByText(username).waitFor({ timeout: PAGE_WAIT_MS }),
  );
}

/** Opens a report page and waits until it follows the report live (the join's ack shows viewers). */
async function openReport(b, id) {
  await b.page.evaluate((hash) => (location.hash = hash), `#/reports/${id}`);
  await inPage(b, `report ${id} joined live`, () =>
    b.page.locator('.viewers').filter({ hasText: /\S/ }).waitFor({ timeout: PAGE_WAIT_MS }),
  );
}

const commentsWith = (b, text) => b.page.locator('.comment-text', { hasText: text });

test('the console in Chromium: live comments between staff, the citizen view, keyboard and phone width', T, async () => {
  await withChromium(async (browser) => {
    // Anna signs in with the keyboard alone.
    const anna = await openPage(browser);
    await anna.page.screenshot({ path: path.join(SCREENSHOTS, 'sign-in.png') });
    await signIn(anna, 'anna', 'keyboard');
    await inPage(anna, 'report list', () => anna.page.getByRole('link', { name: /Bulk 20$/ }).waitFor({ timeout: PAGE_WAIT_MS }));
    assert.equal(await anna.page.locator('.report-row').count(), 20);
    assert.equal(await anna.page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
    await anna.page.getByRole('button', { name: 'Next page' }).click();
    await inPage(anna, 'second page', () => anna.page.getByRole('link', { name: /Pothole/ }).waitFor({ timeout: PAGE_WAIT_MS }));
    assert.deepEqual(await anna.page.locator('.report-row a').allTextContents(), [`#${reportB.id} Pothole`, `#${reportA.id} Broken <b>street</b> light`]);
    assert.equal(await anna.page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
    // Data is shown as text, never as markup.
    assert.equal(await anna.page.getByRole('link', { name: /Broken/ }).textContent(), `#${reportA.id} Broken <b>street</b> light`);
    await inPage(anna, 'connected', () => anna.page.locator('#live-state[data-state="connected"]').waitFor({ timeout: PAGE_WAIT_MS }));
    // The status filter.
    await anna.page.getByLabel('Status', { exact: true }).selectOption('resolved');
    await anna.page.getByRole('button', { name: 'Filter' }).click();
    await inPage(anna, 'empty filtered list', () => anna.page.getByText('No reports.').waitFor({ timeout: PAGE_WAIT_MS }));
    await anna.page.getByLabel('Status', { exact: true }).selectOption('');
    await anna.page.getByRole('button', { name: 'Filter' }).click();
    await inPage(anna, 'whole list', () => anna.page.locator('.report-row').nth(19).waitFor({ timeout: PAGE_WAIT_MS }));
    await anna.page.screenshot({ path: path.join(SCREENSHOTS, 'report-list.png') });

    // Bruno and Anna on report A, Dario on report B.
    const bruno = await openPage(browser);
    await signIn(bruno, 'bruno');
    await openReport(bruno, reportA.id);
    await openReport(anna, reportA.id);
    await inPage(bruno, 'Anna seen among the viewers', () =>
      bruno.page.locator('.viewers', { hasText: 'anna' }).waitFor({ timeout: PAGE_WAIT_MS }),
    );
    const dario = await openPage(browser);
    await signIn(dario, 'dario');
    await openReport(dario, reportB.id);

    // Anna posts through the form; Bruno sees it without reload, once; so does Anna.
    await anna.page.getByLabel('Comment', { exact: true }).fill('On my way <script>');
    await anna.page.getByRole('button', { name: 'Post comment' }).click();
    await inPage(bruno, 'the comment live on Bruno\'s page', () =>
      commentsWith(bruno, 'On my way <script>').waitFor({ timeout: PAGE_WAIT_MS }),
    );
    await inPage(anna, "the comment on Anna's page", () => commentsWith(anna, 'On my way').waitFor({ timeout: PAGE_WAIT_MS }));
    // One more, posted over REST, then both pages have each comment exactly once: the events of
    // one room arrive in order, so a duplicate of the first would have come before the second.
    const second = await api(srv.url, 'POST', `/api/reports/${reportA.id}/comments`, { token: tokens.anna, body: { comment: 'Fixed it' } });
    assert.equal(second.status, 201, second.text);
    for (const b of [anna, bruno]) {
      await inPage(b, 'the second comment', () => commentsWith(b, 'Fixed it').waitFor({ timeout: PAGE_WAIT_MS }));
      assert.equal(await commentsWith(b, 'On my way').count(), 1);
      assert.equal(await b.page.locator('.comment').count(), 2);
    }
    // Rome time, whatever the browser's own zone (Tokyo here).
    const shown = await bruno.page.locator('.comment time').last().textContent();
    const rome = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Rome', dateStyle: 'medium', timeStyle: 'medium' });
    const norm = (s) => s.replace(/\s+/gu, ' ');
    assert.equal(norm(shown), norm(rome.format(new Date(second.json.creation_date))));
    await bruno.page.screenshot({ path: path.join(SCREENSHOTS, 'report-live-comment.png'), fullPage: true });

    // Dario's page is live too (a comment on B arrives), and has none of A's.
    const onB = await api(srv.url, 'POST', `/api/reports/${reportB.id}/comments`, { token: tokens.anna, body: { comment: 'Cones placed' } });
    assert.equal(onB.status, 201, onB.text);
    await inPage(dario, "B's comment on Dario's page", () => commentsWith(dario, 'Cones placed').waitFor({ timeout: PAGE_WAIT_MS }));
    assert.equal(await dario.page.locator('.comment').count(), 1);

    // Leaving the page leaves the room: Bruno sees Anna go.
    await anna.page.getByRole('link', { name: 'All reports' }).click();
    await inPage(bruno, 'Anna left', () => bruno.page.getByText('Nobody else has this report open.').waitFor({ timeout: PAGE_WAIT_MS }));

    // The status control.
    await bruno.page.getByLabel('Status', { exact: true }).selectOption('in_progress');
    await bruno.page.getByRole('button', { name: 'Update status' }).click();
    await inPage(bruno, 'status updated', () => bruno.page.getByText('Status updated.').waitFor({ timeout: PAGE_WAIT_MS }));
    const updated = await api(srv.url, 'GET', `/api/reports/${reportA.id}`, { token: tokens.anna });
    assert.equal(updated.json.status, 'in_progress');

    // Sign out: back to the form, no token kept, no live channel.
    await anna.page.getByRole('button', { name: 'Sign out' }).click();
    await inPage(anna, 'signed out', () => anna.page.getByLabel('Username', { exact: true }).waitFor({ timeout: PAGE_WAIT_MS }));
    assert.equal(await anna.page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await anna.page.locator('#live-state').isHidden(), true);

    // The citizen: a form to file a report and her own reports, never internal comments.
    const carla = await openPage(browser);
    await signIn(carla, 'carla');
    await inPage(carla, 'citizen view', () => carla.page.getByRole('heading', { name: 'File a report' }).waitFor({ timeout: PAGE_WAIT_MS }));
    await carla.page.getByLabel('Title', { exact: true }).fill('Overflowing bin');
    await carla.page.getByLabel('Description', { exact: true }).fill('Piazza Navona, since Monday.');
    await carla.page.getByRole('button', { name: 'Send report' }).click();
    await inPage(carla, 'the new report listed', () => carla.page.getByRole('link', { name: /Overflowing bin/ }).waitFor({ timeout: PAGE_WAIT_MS }));
    assert.equal(await carla.page.locator('.report-row').count(), 2, 'her two reports, not the staff one');
    assert.equal(await carla.page.getByRole('link', { name: /Pothole/ }).count(), 0);
    await carla.page.screenshot({ path: path.join(SCREENSHOTS, 'citizen.png'), fullPage: true });
    await carla.page.getByRole('link', { name: /Broken/ }).click();
    await inPage(carla, 'her report page', () => carla.page.getByRole('heading', { name: 'Details' }).waitFor({ timeout: PAGE_WAIT_MS }));
    assert.deepEqual(
      await carla.page.locator('.details dt').allTextContents(),
      ['Status', 'Category', 'Filed', 'Updated', 'Location'],
    );
    assert.equal(await carla.page.locator('.details dd').nth(1).textContent(), 'lighting');
    assert.equal(await carla.page.locator('.comments, .comment').count(), 0);
    assert.equal(await carla.page.getByText('On my way').count(), 0);
    assert.equal(await carla.page.locator('#live-state').isHidden(), true);
    assert.deepEqual(carla.live, [], 'no live channel for a citizen');
    // The calls the staff page makes are refused to her token.
    const refused = await carla.page.evaluate(async (id) => {
      const headers = { Authorization: `Bearer ${sessionStorage.getItem('reportd.token')}`, 'Content-Type': 'application/json' };
      const list = await fetch(`/api/reports/${id}/comments`, { headers });
      const post = await fetch(`/api/reports/${id}/comments`, { method: 'POST', headers, body: '{"comment":"x"}' });
      return [list.status, post.status];
    }, reportA.id);
    assert.deepEqual(refused, [403, 403]);

    // A phone: the report page without horizontal scrolling.
    const phone = await openPage(browser, { viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });
    await signIn(phone, 'bruno');
    await openReport(phone, reportA.id);
    await inPage(phone, 'comments on the phone', () => commentsWith(phone, 'Fixed it').waitFor({ timeout: PAGE_WAIT_MS }));
    const widths = await phone.page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
    assert.ok(widths[0] <= widths[1], `no horizontal scroll at 375 px: ${widths}`);
    await phone.page.screenshot({ path: path.join(SCREENSHOTS, 'phone-report.png'), fullPage: true });

    // No script error anywhere (the refused calls above are logged as failed loads, not errors).
    for (const b of [anna, bruno, dario, carla, phone]) {
      const errors = b.consoleLines.filter((l) => /^(error|pageerror)/.test(l) && !/Failed to load resource/.test(l));
      assert.deepEqual(errors, [], 'no errors in the browser console');
    }

    // The server goes away and comes back: the page says so, reconnects by itself and gets the
    // comments posted afterwards without reload (its session resumed, or the report joined again
    // with the last comment id, whose ack brings what came since).
    await srv.crash();
    await inPage(phone, 'reconnecting shown', () => phone.page.locator('#live-state[data-state="reconnecting"]').waitFor({ timeout: PAGE_WAIT_MS }));
    await srv.restart();
    await inPage(phone, 'connected again', () => phone.page.locator('#live-state[data-state="connected"]').waitFor({ timeout: PAGE_WAIT_MS }));
    const afterRestart = await api(srv.url, 'POST', `/api/reports/${reportA.id}/comments`, { token: tokens.anna, body: { comment: 'After the restart' } });
    assert.equal(afterRestart.status, 201, afterRestart.text);
    await inPage(phone, 'a comment after the restart', () => commentsWith(phone, 'After the restart').waitFor({ timeout: PAGE_WAIT_MS }));
  });
});
