// Graceful shutdown on SIGTERM / SIGINT: of the engineio-echo server, and of reportd with open
// WebSockets.
// Each test starts its own server, since it ends it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep, withTimeout, canConnect } from './lib/server.mjs';
import { SEP, PollingClient, openWsSession } from './lib/eio.mjs';
import WebSocket from 'ws';
import { startReportd, connectLive, stopCleanly } from './lib/reportd.mjs';

const T = { timeout: 30000 };
const EXIT_LIMIT_MS = 10000;
// reportd's default shutdown grace period.
const GRACE_MS = 5000;

/** Kills a server that a failed test left running. */
function killIfRunning(srv) {
  if (srv && srv.proc.exitCode === null && srv.proc.signalCode === null) srv.proc.kill('SIGKILL');
}

test('SIGTERM closes open sessions, exits with code 0 and stops listening', T, async (t) => {
  const srv = await startServer();
  let ws;
  let pc;
  try {
    ws = (await openWsSession(srv.url)).client; // pings are answered automatically
    ws.send('4before shutdown');
    assert.equal(await ws.nextText(), '4before shutdown');

    pc = new PollingClient(srv.url);
    await pc.handshake();
    // A long-poll that stays pending until the server has something to say;
    // should a ping come first, it is answered and the long-poll renewed.
    const pollResult = (async () => {
      for (;;) {
        const res = await pc.get({ timeoutMs: EXIT_LIMIT_MS + 2000 });
        if (res.status !== 200 || res.body.split(SEP).some((p) => p !== '2')) return res;
        await pc.post('3').catch(() => {});
      }
    })();
    pollResult.catch(() => {});
    await sleep(100); // let the long-poll reach the server and wait there

    const killedAt = Date.now();
    srv.proc.kill('SIGTERM');

    const [exit, poll, wsClose] = await Promise.all([
      withTimeout(srv.exited, EXIT_LIMIT_MS + 1000, 'server exit after SIGTERM'),
      pollResult,
      ws.waitClose(EXIT_LIMIT_MS + 1000),
    ]);
    const exitedAfter = Date.now() - killedAt;

    assert.equal(exit.signal, null, 'server must exit by itself, not die of the signal');
    assert.equal(exit.code, 0, 'exit code');
    assert.ok(exitedAfter <= EXIT_LIMIT_MS, `exited ${exitedAfter} ms after SIGTERM`);

    assert.equal(poll.status, 200, `pending GET answered ${poll.status} ${poll.body}`);
    assert.deepEqual(
      poll.body.split(SEP).filter((p) => p !== '2'),
      ['1'],
      `pending GET must get a close packet, got ${JSON.stringify(poll.body)}`,
    );

    const wsMessages = ws.queue.map((m) => (m.isBinary ? `<binary ${m.data.toString('hex')}>` : m.data));
    const gotClosePacket = wsMessages.includes('1');
    assert.ok(
      gotClosePacket || wsClose.code !== 1006,
      `WebSocket got neither a close packet nor a close frame (code ${wsClose.code}, messages ${JSON.stringify(wsMessages)})`,
    );

    assert.equal(await canConnect(srv.port, 1000), false, 'port must refuse connections after exit');
  } catch (err) {
    srv.printLog(`server output for failed test "${t.name}"`);
    throw err;
  } finally {
    ws?.terminate();
    pc?.abortAll();
    killIfRunning(srv);
  }
});

test('SIGINT exits with code 0', T, async (t) => {
  const srv = await startServer();
  let ws;
  try {
    ws = (await openWsSession(srv.url)).client;
    const killedAt = Date.now();
    srv.proc.kill('SIGINT');
    const exit = await withTimeout(srv.exited, EXIT_LIMIT_MS + 1000, 'server exit after SIGINT');
    assert.equal(exit.signal, null, 'server must exit by itself, not die of the signal');
    assert.equal(exit.code, 0);
    assert.ok(Date.now() - killedAt <= EXIT_LIMIT_MS);
    await ws.waitClose(2000);
    assert.equal(await canConnect(srv.port, 1000), false, 'port must refuse connections after exit');
  } catch (err) {
    srv.printLog(`server output for failed test "${t.name}"`);
    throw err;
  } finally {
    ws?.terminate();
    killIfRunning(srv);
  }
});

/** The `drained` value of reportd's shutdown_finished line, or undefined without one. */
function drainedOf(log) {
  const line = log.split('\n').find((l) => l.includes('event=shutdown_finished'));
  return line?.match(/drained=(\w+)/)?.[1];
}

test('reportd: a live WebSocket client and one that never answers the close frame still end drained within the grace', T, async (t) => {
  const srv = await startReportd({ users: [{ username: 'clerk', role: 'operator', internal: true }] });
  let live;
  let mute;
  try {
    live = await connectLive(srv.url, { auth: { token: srv.token('clerk') }, transports: ['websocket'] });
    // A raw Engine.IO WebSocket whose reader is paused: it never reads our close packet, nor
    // answers our close frame.
    mute = new WebSocket(`${srv.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    await new Promise((resolve, reject) => {
      mute.once('open', resolve);
      mute.once('error', reject);
    });
    mute._socket.pause();

    const killedAt = Date.now();
    const liveClosed = new Promise((resolve) => live.once('disconnect', resolve));
    await stopCleanly(srv, ' with open WebSockets');
    const tookMs = Date.now() - killedAt;
    // As from Node's io.close(): the Engine.IO close packet, so the client may resume elsewhere.
    assert.equal(await withTimeout(liveClosed, 1000, 'live client disconnect'), 'transport close');
    assert.equal(drainedOf(srv.log()), 'true', 'shutdown_finished must say drained=true');
    assert.ok(tookMs < GRACE_MS, `shutdown took ${tookMs} ms, the grace period is ${GRACE_MS} ms`);
  } catch (err) {
    srv.printLog(`reportd output for failed test "${t.name}"`);
    throw err;
  } finally {
    live?.close();
    mute?.terminate();
  }
});
