// Helpers for end-to-end tests in a real browser: headless Debian Chromium
// (installed by scripts/install-deps) driven by playwright-core, and a tiny
// static file server on loopback for the pages it loads. Every wait is bounded.

import fs from 'node:fs';
import http from 'node:http';
import { chromium } from 'playwright-core';
import { withTimeout } from './server.mjs';

/** The Chromium binary (env CHROMIUM_BIN); Playwright never downloads its own. */
export const chromiumBin = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

// --no-sandbox: the tests may run as root, where Chromium's sandbox refuses to start.
// The rest keep Chromium from calling Google's services on its own: this machine's
// network is closed, and those attempts only slow the start and fill the log.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium (Playwright gives each launch a new, empty profile) and
 * calls fn(browser); the browser is closed whatever fn does.
 */
export async function withChromium(fn, { launchTimeoutMs = 20000, closeTimeoutMs = 10000 } = {}) {
  const browser = await chromium.launch({
    executablePath: chromiumBin,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: launchTimeoutMs,
  });
  try {
    return await fn(browser);
  } finally {
    await withTimeout(browser.close(), closeTimeoutMs, 'closing Chromium');
  }
}

/**
 * Collects what `page` logs into `lines`, Chromium's own messages (CORS
 * refusals, failed WebSocket handshakes) and uncaught errors included.
 */
export function collectConsole(page, lines = []) {
  page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (err) => lines.push(`pageerror: ${err.message}`));
  return lines;
}

/**
 * Launches Chromium, opens one page and calls fn({ page, consoleLines });
 * consoleLines collects what the page logs (see collectConsole).
 */
export async function withChromiumPage(fn, options = {}) {
  return withChromium(async (browser) => {
    const page = await browser.newPage();
    const consoleLines = collectConsole(page);
    return fn({ page, consoleLines });
  }, options);
}

/**
 * Serves `files` ({ '/url-path': { file, type } }) on a free port of 127.0.0.1;
 * anything else is 404. Resolves { port, close() }.
 */
export function serveFiles(files) {
  const server = http.createServer((req, res) => {
    const entry = files[new URL(req.url, 'http://x').pathname];
    if (req.method !== 'GET' || !entry) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' });
    res.end(fs.readFileSync(entry.file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: server.address().port,
        close() {
          server.closeAllConnections();
          return withTimeout(new Promise((done) => server.close(done)), 5000, 'closing the static server');
        },
      });
    });
  });
}
