// Raw Engine.IO v4 protocol tests against the engineio-echo server, using
// fetch for long-polling, `ws` for WebSocket and node:net for raw HTTP.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, sleep, printLogIfFailed } from './lib/server.mjs';
import {
  SEP,
  PING_INTERVAL,
  PING_TIMEOUT,
  MAX_PAYLOAD,
  eioUrl,
  wsBase,
  request,
  parseOpenPacket,
  parseErrorBody,
  PollingClient,
  WsClient,
  openWsSession,
  RawHttpConnection,
  attemptWs,
} from './lib/eio.mjs';

const T = { timeout: 15000 };
const OPEN_KEYS = ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades'];

let server;
const extraServers = new Set();

before(async () => {
  server = await startServer();
});

after(async () => {
  if (!server) return;
  const { code, signal } = await server.stop();
  assert.equal(signal, null, 'server must exit by itself after SIGTERM, not be killed by a signal');
  assert.equal(code, 0, 'server must exit with code 0 after SIGTERM');
});

afterEach((t) => printLogIfFailed(t, server, ...extraServers));

/** Starts a server with `env` for the enclosing describe; returns a getter. */
function serverForSuite(env) {
  let s;
  before(async () => {
    s = await startServer({ env });
    extraServers.add(s);
  });
  after(async () => {
    if (!s) return;
    extraServers.delete(s);
    const { code } = await s.stop();
    assert.equal(code, 0, 'server must exit with code 0 after SIGTERM');
  });
  return () => s;
}

function assertOpenPacket(open, upgrades) {
  assert.deepEqual(Object.keys(open).sort(), OPEN_KEYS, 'open packet must have exactly the five keys');
  assert.equal(typeof open.sid, 'string');
  assert.ok(open.sid.length > 0, 'sid must not be empty');
  assert.deepEqual(open.upgrades, upgrades);
  assert.equal(open.pingInterval, PING_INTERVAL);
  assert.equal(open.pingTimeout, PING_TIMEOUT);
  assert.equal(open.maxPayload, MAX_PAYLOAD);
}

/** Asserts an Engine.IO HTTP error: 400, JSON content type, {"code": code, "message": non-empty}. */
function assertEioError(res, code) {
  assert.equal(res.status, 400, `expected 400, got ${res.status} with body ${JSON.stringify(res.body)}`);
  const ct = res.headers.get('content-type') || '';
  assert.match(ct, /application\/json/i, `content-type must be application/json, got "${ct}"`);
  const err = parseErrorBody(res.body);
  assert.equal(err.code, code, `error code: body was ${res.body}`);
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0, 'error message must not be empty');
}

/** Asserts that a session no longer exists: a GET with its sid is a 400 "Session ID unknown". */
async function assertSessionGone(pc) {
  const res = await pc.get({ timeoutMs: 2000 });
  assertEioError(res, 1);
}

/** Asserts that attemptWs() found the WebSocket refused (never a working session). */
function assertWsRefused(r, expectedCode) {
  assert.ok(!r.timedOut, `server neither refused nor closed the WebSocket in time: ${JSON.stringify(r)}`);
  if (r.httpStatus !== undefined) {
    assert.equal(r.httpStatus, 400, `refusal status, body ${r.httpBody}`);
    // A refused upgrade request may carry the JSON error body or a plain one
    // (the reference server writes text/html); when it is JSON, check the code.
    if (/application\/json/i.test(r.contentType)) {
      const err = parseErrorBody(r.httpBody);
      assert.equal(err.code, expectedCode, `refusal error code, body ${r.httpBody}`);
      assert.equal(typeof err.message, 'string');
    }
  } else if (r.opened) {
    assert.ok(r.closed, 'an accepted but refused WebSocket must be closed by the server');
    assert.ok(!r.messages.includes('3probe'), 'refused WebSocket must not answer a probe');
    assert.ok(!r.messages.includes('4dup'), 'refused WebSocket must not echo messages');
  } else {
    assert.ok(r.closed, 'connection must be closed');
  }
}

function bytes(...values) {
  return Buffer.from(values);
}

// ---------------------------------------------------------------------------

describe('handshake', () => {
  test('polling handshake answers 200 with an open packet of exactly the five keys', T, async () => {
    const res = await request(eioUrl(server.url, 'EIO=4&transport=polling'));
    assert.equal(res.status, 200);
    assert.equal(res.body[0], '0', `body must start with the open packet type: ${res.body}`);
    assert.ok(!res.body.includes(SEP), 'handshake body must be a single packet');
    assertOpenPacket(parseOpenPacket(res.body), ['websocket']);
  });

  test('each handshake creates a new session id', T, async () => {
    const a = new PollingClient(server.url);
    const b = new PollingClient(server.url);
    try {
      await a.handshake();
      await b.handshake();
      assert.notEqual(a.sid, b.sid);
    } finally {
      a.abortAll();
      b.abortAll();
    }
  });

  test('direct WebSocket handshake sends an open packet with no upgrades', T, async () => {
    const { client, open } = await openWsSession(server.url);
    try {
      assertOpenPacket(open, []);
    } finally {
      client.terminate();
    }
  });
});

describe('HTTP errors', () => {
  const url = (q) => eioUrl(server.url, q);

  test('missing transport is 400 code 0 (Transport unknown)', T, async () => {
    assertEioError(await request(url('EIO=4')), 0);
  });

  test('unknown transport is 400 code 0 (Transport unknown)', T, async () => {
    assertEioError(await request(url('EIO=4&transport=carrier-pigeon')), 0);
  });

  test('GET with an unknown sid is 400 code 1 (Session ID unknown)', T, async () => {
    assertEioError(await request(url('EIO=4&transport=polling&sid=no-such-session')), 1);
  });

  test('POST with an unknown sid is 400 code 1 (Session ID unknown)', T, async () => {
    const res = await request(url('EIO=4&transport=polling&sid=no-such-session'), { method: 'POST', body: '4x' });
    assertEioError(res, 1);
  });

  test('WebSocket with an unknown sid is refused', T, async () => {
    const r = await attemptWs(eioUrl(wsBase(server.url), 'EIO=4&transport=websocket&sid=no-such-session'));
    assertWsRefused(r, 1);
  });

  test('POST handshake (no sid) is 400 code 2 (Bad handshake method)', T, async () => {
    assertEioError(await request(url('EIO=4&transport=polling'), { method: 'POST', body: '4x' }), 2);
  });

  test('PUT handshake (no sid) is 400 code 2 (Bad handshake method)', T, async () => {
    assertEioError(await request(url('EIO=4&transport=polling'), { method: 'PUT', body: '' }), 2);
  });

  test('missing EIO is 400 code 5 (Unsupported protocol version)', T, async () => {
    assertEioError(await request(url('transport=polling')), 5);
  });

  test('EIO=abc is 400 code 5 (Unsupported protocol version)', T, async () => {
    assertEioError(await request(url('EIO=abc&transport=polling')), 5);
  });

  test('EIO=3 is 400 code 5 (Unsupported protocol version)', T, async () => {
    assertEioError(await request(url('EIO=3&transport=polling')), 5);
  });
});

describe('polling messages', () => {
  test('a text and a binary packet in one POST come back in one GET', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const post = await pc.post(`4hello${SEP}bAQIDBA==`);
      assert.equal(post.status, 200);
      assert.equal(post.body, 'ok');
      const { packets } = await pc.receive();
      assert.equal(packets.join(SEP), `4hello${SEP}bAQIDBA==`);
    } finally {
      pc.abortAll();
    }
  });

  test('several packets in one POST come back together in one GET response', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const post = await pc.post(`4a${SEP}4b${SEP}4c`);
      assert.equal(post.status, 200);
      assert.equal(post.body, 'ok');
      const { packets } = await pc.receive();
      assert.equal(packets.join(SEP), `4a${SEP}4b${SEP}4c`);
    } finally {
      pc.abortAll();
    }
  });

  test('messages of several POSTs come back in order', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const sent = ['4one', '4two', 'bAP8A/w==', '4three'];
      for (const p of sent) {
        const post = await pc.post(p);
        assert.equal(post.status, 200);
      }
      const got = [];
      while (got.length < sent.length) got.push(...(await pc.receive()).packets);
      assert.deepEqual(got, sent);
    } finally {
      pc.abortAll();
    }
  });

  test('a pending long-poll GET is answered when a message arrives', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const pending = pc.receive({ timeoutMs: 3000 });
      await sleep(100); // let the GET reach the server and wait there
      const post = await pc.post('4late');
      assert.equal(post.status, 200);
      const { packets } = await pending;
      assert.deepEqual(packets, ['4late']);
    } finally {
      pc.abortAll();
    }
  });

  test('UTF-8 text and all byte values are echoed unchanged', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('base64');
      const sent = ['4héllo wörld € 😀 \u2028 "quotes" \\ ', `b${all}`];
      const post = await pc.post(sent.join(SEP));
      assert.equal(post.status, 200);
      const got = [];
      while (got.length < sent.length) got.push(...(await pc.receive()).packets);
      assert.deepEqual(got, sent);
    } finally {
      pc.abortAll();
    }
  });

  test('a POST of exactly maxPayload bytes is accepted and echoed', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const packet = '4' + 'x'.repeat(MAX_PAYLOAD - 1);
      assert.equal(Buffer.byteLength(packet), MAX_PAYLOAD);
      const post = await pc.post(packet, { timeoutMs: 5000 });
      assert.equal(post.status, 200);
      assert.equal(post.body, 'ok');
      const { packets } = await pc.receive({ timeoutMs: 5000 });
      assert.equal(packets.length, 1);
      assert.equal(packets[0].length, MAX_PAYLOAD);
      assert.ok(packets[0] === packet, 'echoed packet differs from the one sent');
    } finally {
      pc.abortAll();
    }
  });
});

describe('polling errors', () => {
  test('a second concurrent GET gets 400, the first gets a close packet, the session is gone', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const first = pc.get({ timeoutMs: 3000 });
      await sleep(100); // let the first GET reach the server and wait there
      const second = await pc.get({ timeoutMs: 3000 });
      assert.equal(second.status, 400);
      const firstRes = await first;
      assert.equal(firstRes.status, 200);
      assert.equal(firstRes.body, '1');
      await assertSessionGone(pc);
    } finally {
      pc.abortAll();
    }
  });

  test('an invalid packet is refused and closes the session', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      let outcome;
      try {
        outcome = (await pc.post('abc')).status;
      } catch (err) {
        if (!(err instanceof TypeError)) throw err; // a timeout is a failure, a dropped connection is not
        outcome = 'connection dropped';
      }
      assert.ok(outcome === 400 || outcome === 'connection dropped', `POST abc answered ${outcome}`);
      await assertSessionGone(pc);
    } finally {
      pc.abortAll();
    }
  });

  test('a POST over maxPayload is 413 and closes the session', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const packet = '4' + 'x'.repeat(MAX_PAYLOAD); // MAX_PAYLOAD + 1 bytes
      let res;
      try {
        res = await pc.post(packet, { timeoutMs: 5000 });
      } catch (err) {
        throw new Error(`expected a 413 response, but the request failed: ${err.message} (${err.cause?.code ?? ''})`);
      }
      assert.equal(res.status, 413);
      await assertSessionGone(pc);
    } finally {
      pc.abortAll();
    }
  });
});

describe('heartbeat', () => {
  test('polling: a ping comes every pingInterval and answered sessions stay open', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      let last = Date.now();
      for (let i = 0; i < 3; i++) {
        const res = await pc.get({ timeoutMs: 1500 });
        const now = Date.now();
        assert.equal(res.status, 200);
        assert.equal(res.body, '2', `heartbeat ${i + 1}: expected a lone ping`);
        assert.ok(now - last >= PING_INTERVAL - 100, `ping ${i + 1} came after ${now - last} ms, too early`);
        last = now;
        const pong = await pc.post('3');
        assert.equal(pong.status, 200);
        assert.equal(pong.body, 'ok');
      }
      // More than pingInterval + pingTimeout has passed: still alive thanks to the pongs.
      assert.equal((await pc.post('4alive')).status, 200);
      assert.deepEqual((await pc.receive()).packets, ['4alive']);
    } finally {
      pc.abortAll();
    }
  });

  test('polling: a session that does not answer pings is closed after pingInterval + pingTimeout', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const start = Date.now();
      // Alive until the first ping (not closed early), which we do not answer.
      const ping = await pc.get({ timeoutMs: 1500 });
      assert.equal(ping.status, 200);
      assert.equal(ping.body, '2');
      // Wait past pingInterval + pingTimeout (500 ms) with some margin.
      await sleep(Math.max(0, start + PING_INTERVAL + PING_TIMEOUT + 250 - Date.now()));
      await assertSessionGone(pc);
    } finally {
      pc.abortAll();
    }
  });

  test('websocket: a ping comes every pingInterval and answered sessions stay open', T, async () => {
    const { client, openedAt } = await openWsSession(server.url, { autoPong: false });
    try {
      let last = openedAt;
      for (let i = 0; i < 3; i++) {
        const msg = await client.nextText(1500);
        const now = Date.now();
        assert.equal(msg, '2', `heartbeat ${i + 1}: expected a ping`);
        assert.ok(now - last >= PING_INTERVAL - 100, `ping ${i + 1} came after ${now - last} ms, too early`);
        last = now;
        client.send('3');
      }
      client.send('4alive');
      assert.equal(await client.nextText(1000), '4alive');
    } finally {
      client.terminate();
    }
  });

  test('websocket: a session that does not answer pings is closed by the server', T, async () => {
    const { client, openedAt } = await openWsSession(server.url, { autoPong: false });
    try {
      assert.equal(await client.nextText(1500), '2');
      const closed = await client.waitClose(Math.max(1, openedAt + 1500 - Date.now()));
      const after = closed.at - openedAt;
      assert.ok(after >= PING_INTERVAL + PING_TIMEOUT - 50, `closed after ${after} ms, before the ping timeout`);
      assert.ok(after <= 1500, `closed after ${after} ms`);
    } finally {
      client.terminate();
    }
  });
});

describe('close', () => {
  test('polling: a close packet answers the pending GET with noop and ends the session', T, async () => {
    const pc = new PollingClient(server.url);
    try {
      await pc.handshake();
      const pending = pc.get({ timeoutMs: 3000 });
      await sleep(100); // let the GET reach the server and wait there
      const post = await pc.post('1');
      assert.equal(post.status, 200);
      const res = await pending;
      assert.equal(res.status, 200);
      assert.equal(res.body, '6');
      await assertSessionGone(pc);
    } finally {
      pc.abortAll();
    }
  });

  test('websocket: a close packet makes the server close the socket', T, async () => {
    const { client } = await openWsSession(server.url);
    try {
      client.send('1');
      await client.waitClose(1000);
    } finally {
      client.terminate();
    }
  });
});

describe('websocket messages', () => {
  test('text and binary messages are echoed with their frame type', T, async () => {
    const { client } = await openWsSession(server.url);
    try {
      client.send('4hello');
      const text = await client.next();
      assert.equal(text.isBinary, false);
      assert.equal(text.data, '4hello');

      client.send(bytes(1, 2, 3, 4));
      const bin = await client.next();
      assert.equal(bin.isBinary, true);
      assert.deepEqual(bin.data, bytes(1, 2, 3, 4));

      client.send('4héllo € 😀');
      assert.equal(await client.nextText(), '4héllo € 😀');

      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      client.send(all);
      const bin2 = await client.next();
      assert.equal(bin2.isBinary, true);
      assert.deepEqual(bin2.data, all);
    } finally {
      client.terminate();
    }
  });

  test('many messages sent at once come back in order', T, async () => {
    const { client } = await openWsSession(server.url);
    try {
      const sent = [];
      for (let i = 0; i < 30; i++) sent.push(i % 5 === 4 ? bytes(i, 255 - i) : `4m${i}`);
      for (const m of sent) client.send(m);
      const got = [];
      for (let i = 0; i < sent.length; i++) got.push((await client.next()).data);
      assert.deepEqual(got, sent);
    } finally {
      client.terminate();
    }
  });

  test('a malformed packet closes only its own session', T, async () => {
    const a = await openWsSession(server.url);
    const b = await openWsSession(server.url);
    try {
      a.client.send('abc');
      await a.client.waitClose(1500);
      b.client.send('4still here');
      assert.equal(await b.client.nextText(), '4still here');
    } finally {
      a.client.terminate();
      b.client.terminate();
    }
  });
});

describe('upgrade', () => {
  /** Opens the upgrade WebSocket for pc's session and does the probe exchange. */
  async function probe(pc) {
    const ws = new WsClient(eioUrl(wsBase(server.url), `EIO=4&transport=websocket&sid=${encodeURIComponent(pc.sid)}`));
    try {
      await ws.waitOpen();
      ws.send('2probe');
      assert.equal(await ws.nextText(), '3probe');
      return ws;
    } catch (err) {
      ws.terminate();
      throw err;
    }
  }

  /** Completes a polling GET result that must be a noop (a ping before it is answered). */
  async function expectNoop(pc, res) {
    for (let i = 0; i < 3 && res.status === 200 && res.body === '2'; i++) {
      await pc.post('3');
      res = await pc.get({ timeoutMs: 1000 });
    }
    assert.equal(res.status, 200);
    assert.equal(res.body, '6', 'polling GET during the upgrade must get a noop');
  }

  test('a pending GET gets a noop on probe, then the session works over WebSocket', T, async () => {
    const pc = new PollingClient(server.url);
    let ws;
    try {
      await pc.handshake();
      const pending = pc.get({ timeoutMs: 3000 });
      await sleep(50); // let the GET reach the server and wait there
      ws = await probe(pc);
      await expectNoop(pc, await pending);
      ws.send('5');
      ws.send('4hello');
      assert.equal(await ws.nextText(), '4hello');
      ws.send(bytes(9, 8, 7));
      const bin = await ws.next();
      assert.equal(bin.isBinary, true);
      assert.deepEqual(bin.data, bytes(9, 8, 7));
    } finally {
      pc.abortAll();
      ws?.terminate();
    }
  });

  test('after the upgrade, polling is refused and a second WebSocket on the sid is accepted, then closed', T, async () => {
    const pc = new PollingClient(server.url);
    let ws;
    try {
      await pc.handshake();
      ws = await probe(pc);
      // A GET made during the upgrade is answered with a noop at once.
      await expectNoop(pc, await pc.get({ timeoutMs: 1000 }));
      ws.send('5');
      ws.send('4upgraded');
      assert.equal(await ws.nextText(), '4upgraded');

      const get = await pc.get({ timeoutMs: 2000 });
      assert.equal(get.status, 400, `polling GET after upgrade answered ${get.status} ${get.body}`);

      const second = await attemptWs(
        eioUrl(wsBase(server.url), `EIO=4&transport=websocket&sid=${encodeURIComponent(pc.sid)}`),
      );
      // As the reference server does: the handshake succeeds (101), then the server closes it.
      assert.equal(second.httpStatus, undefined, `second WebSocket got HTTP ${second.httpStatus}`);
      assert.ok(second.opened, 'second WebSocket must be accepted at the HTTP level');
      assertWsRefused(second, 3);

      ws.send('4first still works');
      assert.equal(await ws.nextText(), '4first still works');
      assert.equal(ws.closeInfo, null, 'first WebSocket must stay open');
    } finally {
      pc.abortAll();
      ws?.terminate();
    }
  });
});

describe('CORS', () => {
  const ALLOWED = 'http://allowed.example';
  const SECOND = 'http://second.example';
  const getCors = serverForSuite({ CORS_ORIGINS: `${ALLOWED},${SECOND}` });
  const handshakeUrl = () => eioUrl(getCors().url, 'EIO=4&transport=polling');

  test('a handshake from an allowed origin gets Allow-Origin and Allow-Credentials', T, async () => {
    const res = await request(handshakeUrl(), { headers: { Origin: ALLOWED } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  });

  test('every origin of the comma-separated list is allowed', T, async () => {
    const res = await request(handshakeUrl(), { headers: { Origin: SECOND } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), SECOND);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  });

  test('a preflight from an allowed origin is 204 with the CORS headers', T, async () => {
    const res = await request(handshakeUrl(), {
      method: 'OPTIONS',
      headers: { Origin: ALLOWED, 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
    const methods = (res.headers.get('access-control-allow-methods') || '')
      .split(',')
      .map((m) => m.trim().toUpperCase());
    assert.ok(methods.includes('GET'), `Allow-Methods: ${methods}`);
    assert.ok(methods.includes('POST'), `Allow-Methods: ${methods}`);
  });

  test('polling GET and POST of a session answer an allowed origin with Allow-Origin', T, async () => {
    const pc = new PollingClient(getCors().url, { headers: { Origin: ALLOWED } });
    try {
      await pc.handshake();
      const post = await pc.post('4cors');
      assert.equal(post.status, 200);
      assert.equal(post.headers.get('access-control-allow-origin'), ALLOWED);
      const { packets, res } = await pc.receive();
      assert.deepEqual(packets, ['4cors']);
      assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED);
    } finally {
      pc.abortAll();
    }
  });

  test('an origin not in the list gets no Allow-Origin', T, async () => {
    const res = await request(handshakeUrl(), { headers: { Origin: 'http://evil.example' } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    const pre = await request(handshakeUrl(), {
      method: 'OPTIONS',
      headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(pre.headers.get('access-control-allow-origin'), null);
  });

  test('without CORS_ORIGINS any origin may call, without credentials', T, async () => {
    const res = await request(eioUrl(server.url, 'EIO=4&transport=polling'), { headers: { Origin: ALLOWED } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-credentials'), null);
  });

  test('with CORS_ORIGINS a WebSocket from an unlisted origin is refused with 403, one without Origin is not', T, async () => {
    const url = eioUrl(wsBase(getCors().url), 'EIO=4&transport=websocket');
    const refused = await attemptWs(url, { headers: { Origin: 'http://evil.example' } });
    assert.equal(refused.httpStatus, 403, JSON.stringify(refused));
    const listed = await attemptWs(url, { headers: { Origin: ALLOWED }, probes: [], timeoutMs: 500 });
    assert.ok(listed.opened, JSON.stringify(listed));
    const native = await attemptWs(url, { probes: [], timeoutMs: 500 });
    assert.ok(native.opened, JSON.stringify(native));
  });
});

describe('HTTP limits', () => {
  const REQUEST_LINE = 'GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n';

  test('a header block over 8 KiB is answered 431', T, async () => {
    const conn = new RawHttpConnection(server.port);
    try {
      await conn.connected;
      await conn.write(`${REQUEST_LINE}Cookie: big=${'x'.repeat(10 * 1024)}\r\n\r\n`).catch(() => {});
      const res = await conn.readResponse(3000);
      assert.equal(res.status, 431);
    } finally {
      conn.destroy();
    }
  });

  test('a header block under 8 KiB is accepted', T, async () => {
    const conn = new RawHttpConnection(server.port);
    try {
      await conn.connected;
      await conn.write(`${REQUEST_LINE}Cookie: big=${'x'.repeat(6 * 1024)}\r\n\r\n`);
      const res = await conn.readResponse(3000);
      assert.equal(res.status, 200);
      parseOpenPacket(res.body.toString('utf8'));
    } finally {
      conn.destroy();
    }
  });

  test('keep-alive: two requests on one connection are both answered', T, async () => {
    const conn = new RawHttpConnection(server.port);
    try {
      await conn.connected;
      await conn.write(`${REQUEST_LINE}\r\n`);
      const first = await conn.readResponse(3000);
      assert.equal(first.status, 200);
      const sid1 = parseOpenPacket(first.body.toString('utf8')).sid;
      await conn.write(`${REQUEST_LINE}\r\n`);
      const second = await conn.readResponse(3000);
      assert.equal(second.status, 200);
      const sid2 = parseOpenPacket(second.body.toString('utf8')).sid;
      assert.notEqual(sid1, sid2);
    } finally {
      conn.destroy();
    }
  });

  describe('header timeout (HTTP_HEADER_TIMEOUT_MS=500)', () => {
    const getSrv = serverForSuite({ HTTP_HEADER_TIMEOUT_MS: '500' });

    test('an incomplete request header is cut off', T, async () => {
      const conn = new RawHttpConnection(getSrv().port);
      try {
        await conn.connected;
        const start = Date.now();
        await conn.write(REQUEST_LINE);
        const closedAt = await conn.waitClose(2000);
        assert.ok(closedAt - start >= 300, `closed after ${closedAt - start} ms, before the header timeout`);
        assert.ok(!conn.buf.toString('latin1').startsWith('HTTP/1.1 200'), 'incomplete request must not be served');
      } finally {
        conn.destroy();
      }
    });

    test('a header trickled in slowly is cut off too (total time, not idle time)', T, async () => {
      const conn = new RawHttpConnection(getSrv().port);
      try {
        await conn.connected;
        const start = Date.now();
        await conn.write(REQUEST_LINE);
        for (let i = 0; i < 25 && !conn.ended; i++) {
          await sleep(80);
          if (conn.ended) break;
          try {
            await conn.write(`X-Slow-${i}: y\r\n`);
          } catch {
            break; // the server closed the connection
          }
        }
        const closedAt = await conn.waitClose(Math.max(1, start + 2000 - Date.now()));
        assert.ok(closedAt - start <= 2000, `closed after ${closedAt - start} ms`);
        assert.ok(!conn.buf.toString('latin1').startsWith('HTTP/1.1 200'), 'incomplete request must not be served');
      } finally {
        conn.destroy();
      }
    });
  });

  describe('idle timeout (HTTP_IDLE_TIMEOUT_MS=500)', () => {
    const getSrv = serverForSuite({ HTTP_IDLE_TIMEOUT_MS: '500' });

    test('an idle keep-alive connection is closed after the idle timeout', T, async () => {
      const conn = new RawHttpConnection(getSrv().port);
      try {
        await conn.connected;
        await conn.write(`${REQUEST_LINE}\r\n`);
        const res = await conn.readResponse(3000);
        assert.equal(res.status, 200);
        const answeredAt = Date.now();
        const closedAt = await conn.waitClose(2000);
        assert.ok(closedAt - answeredAt >= 300, `closed ${closedAt - answeredAt} ms after the response, too early`);
      } finally {
        conn.destroy();
      }
    });
  });
});

test('the server is still running after all of the above', () => {
  assert.equal(server.proc.exitCode, null, 'server exited');
  assert.equal(server.proc.signalCode, null, 'server was killed by a signal');
});
