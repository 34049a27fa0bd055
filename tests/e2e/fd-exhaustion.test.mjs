// The echo server under a tiny file-descriptor limit: more connections than it has descriptors
// must make the accept loop back off (event=accept_exhausted) without dying or spinning, and the
// server must serve again once the connections are gone.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startServer, sleep, withTimeout } from './lib/server.mjs';
import { SEP, parseOpenPacket, PollingClient, RawHttpConnection } from './lib/eio.mjs';

const T = { timeout: 60000 };
const FD_LIMIT = 64; // soft and hard: the server cannot raise it
const CONNECTIONS = 150; // well over FD_LIMIT, well under the listen backlog (somaxconn)
const CONNECT_TIMEOUT_MS = 5000;
const HOLD_MS = 500; // how long the connections stay open, at least
const LOG_WAIT_MS = 5000; // how much longer they may stay open for the log line to appear
const RECOVERY_LIMIT_MS = 5000;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux, the unit of /proc/<pid>/stat times

/** Kills a server that a failed test left running. */
function killIfRunning(srv) {
  if (srv && isRunning(srv)) srv.proc.kill('SIGKILL');
}

function isRunning(srv) {
  return srv.proc.exitCode === null && srv.proc.signalCode === null;
}

/** CPU time (user + system) the process has used so far, in milliseconds. */
function cpuTimeMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime and stime are
  // fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[14 - 3]) + Number(fields[15 - 3]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Polls `condition` every 20 ms; resolves true once it holds, false after `timeoutMs`. */
async function eventually(condition, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
}

/**
 * Opens one raw TCP connection to 127.0.0.1:port and pushes it onto `sockets` at once (so that
 * cleanup finds it whatever happens). Resolves true once connected, false on error or timeout.
 */
function connectRaw(port, sockets) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sockets.push(sock);
    sock.on('error', () => {}); // a reset from the server is not an error of this test
    const timer = setTimeout(() => resolve(false), CONNECT_TIMEOUT_MS);
    sock.once('connect', () => {
      clearTimeout(timer);
      resolve(true);
    });
    sock.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/**
 * Tries polling handshakes, each on a new TCP connection (so that it must be accepted: no pooled
 * keep-alive connection from before), until one answers 200 with an open packet; each attempt is
 * bounded, all within `limitMs`. Resolves { open, attempts, elapsedMs }; rejects with the last
 * failure otherwise.
 */
async function handshakeUntilServed(port, limitMs) {
  const started = Date.now();
  const deadline = started + limitMs;
  let attempts = 0;
  let lastFailure = 'no attempt';
  while (Date.now() < deadline) {
    attempts++;
    const timeoutMs = Math.max(100, Math.min(1000, deadline - Date.now()));
    const conn = new RawHttpConnection(port);
    try {
      await conn.connected;
      await conn.write(
        'GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      );
      const res = await conn.readResponse(timeoutMs);
      const body = res.body.toString('utf8');
      if (res.status === 200 && body.startsWith('0{')) {
        return { open: parseOpenPacket(body), attempts, elapsedMs: Date.now() - started };
      }
      lastFailure = `status ${res.status} body ${JSON.stringify(body).slice(0, 200)}`;
    } catch (err) {
      lastFailure = err.message;
    } finally {
      conn.destroy();
    }
    await sleep(50);
  }
  throw new Error(`no successful handshake within ${limitMs} ms (${attempts} attempts, last: ${lastFailure})`);
}

test('accept loop survives file-descriptor exhaustion and recovers', T, async (t) => {
  const srv = await startServer({ fdLimit: FD_LIMIT });
  const sockets = [];
  let pc;
  try {
    // The limit really applies: the server logs what it found at startup.
    const limitLine = srv.log().split('\n').find((l) => l.includes('event=fd_limit '));
    assert.ok(limitLine, 'server must log event=fd_limit at startup');
    assert.match(limitLine, new RegExp(`\\bsoft=${FD_LIMIT}\\b`), limitLine);
    assert.match(limitLine, new RegExp(`\\bhard=${FD_LIMIT}\\b`), limitLine);

    // Before: a handshake works.
    await handshakeUntilServed(srv.port, 3000);

    // Far more connections than descriptors, all at once. The kernel completes them all (they
    // wait in the listen backlog); the server accepts until it runs out of descriptors.
    const results = await withTimeout(
      Promise.all(Array.from({ length: CONNECTIONS }, () => connectRaw(srv.port, sockets))),
      CONNECT_TIMEOUT_MS + 2000,
      'opening the raw connections',
    );
    const connected = results.filter(Boolean).length;
    assert.ok(
      connected > FD_LIMIT,
      `only ${connected} of ${CONNECTIONS} connections were established: not enough to exhaust ${FD_LIMIT} descriptors`,
    );

    // Hold them: the accept loop must back off rather than spin or die.
    const cpuBefore = cpuTimeMs(srv.proc.pid);
    const holdStart = Date.now();
    await sleep(HOLD_MS);
    const exhausted = () => srv.log().includes('event=accept_exhausted');
    await eventually(exhausted, LOG_WAIT_MS);
    const heldMs = Date.now() - holdStart;
    const cpuUsed = cpuTimeMs(srv.proc.pid) - cpuBefore;
    assert.ok(isRunning(srv), 'server must still be running while out of descriptors');
    assert.ok(exhausted(), 'server must log event=accept_exhausted when accept runs out of descriptors');
    assert.ok(
      cpuUsed < heldMs / 2,
      `server used ${cpuUsed} ms of CPU in ${heldMs} ms while out of descriptors: the accept loop spins`,
    );

    // Let go of everything; the server must serve again within a few seconds.
    for (const sock of sockets) sock.destroy();
    const { open, attempts, elapsedMs } = await handshakeUntilServed(srv.port, RECOVERY_LIMIT_MS);
    t.diagnostic(`recovered after ${elapsedMs} ms (${attempts} handshake attempts)`);
    assert.equal(typeof open.sid, 'string');
    assert.ok(isRunning(srv), 'server must still be running after recovery');

    // And a whole session works: message echoed back over polling.
    pc = new PollingClient(srv.url);
    await pc.handshake();
    const posted = await pc.post('4after exhaustion');
    assert.equal(posted.status, 200, `POST answered ${posted.status} ${posted.body}`);
    const { packets } = await pc.receive({ timeoutMs: 3000 });
    assert.deepEqual(packets, ['4after exhaustion'], `echo payload split on ${JSON.stringify(SEP)}`);
    pc.abortAll();
    pc = null;

    const { code, signal } = await srv.stop();
    assert.equal(signal, null, 'server must exit by itself after SIGTERM');
    assert.equal(code, 0, 'server must exit with code 0 after SIGTERM');
  } catch (err) {
    srv.printLog(`server output for failed test "${t.name}"`);
    throw err;
  } finally {
    for (const sock of sockets) sock.destroy();
    pc?.abortAll();
    killIfRunning(srv);
  }
});
