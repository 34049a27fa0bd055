// Raw Socket.IO v5 protocol tests against the protocol-echo example server
// (path /socket.io/, pingInterval 300, pingTimeout 200, connect timeout 1000 ms,
// namespaces "/" and "/custom"), over `ws` WebSockets and fetch long-polling.

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, printLogIfFailed, protocolEchoBin } from './lib/server.mjs';
import { SEP } from './lib/eio.mjs';
import {
  placeholder,
  openSioWs,
  sioPollingClient,
  sendSio,
  nextSio,
  nextSioText,
  parseConnectReply,
  sioConnect,
  messagesUntilClose,
  waitForPing,
  pollPackets,
} from './lib/sio.mjs';

const T = { timeout: 15000 };
const CONNECT_TIMEOUT = 1000;

let server;
/** WsClients and PollingClients opened by the running test; closed in afterEach. */
const open = new Set();

before(async () => {
  server = await startServer({ bin: protocolEchoBin });
});

after(async () => {
  if (!server) return;
  const { code, signal } = await server.stop();
  assert.equal(signal, null, 'server must exit by itself after SIGTERM, not be killed by a signal');
  assert.equal(code, 0, 'server must exit with code 0 after SIGTERM');
});

afterEach((t) => {
  for (const c of open) {
    if (typeof c.terminate === 'function') c.terminate();
    else c.abortAll();
  }
  open.clear();
  printLogIfFailed(t, server);
});

/** Opens a WebSocket Engine.IO session on /socket.io/ (closed after the test). */
async function openWs() {
  const session = await openSioWs(server.url);
  open.add(session.client);
  return session;
}

/** Opens a session and connects it to each of `nsps`, reading each CONNECT reply and auth event. */
async function connectedWs(nsps = ['/']) {
  const session = await openWs();
  session.sids = {};
  for (const nsp of nsps) {
    session.sids[nsp] = await connectExpectingAuth(session.client, nsp);
  }
  return session;
}

/**
 * Sends CONNECT to `nsp` (with `auth` if given); asserts the reply carries exactly
 * {sid} and is followed by the "auth" event with the CONNECT payload (or {}).
 * Returns the namespace sid.
 */
async function connectExpectingAuth(client, nsp = '/', auth) {
  const reply = await sioConnect(client, nsp, auth);
  assert.deepEqual(Object.keys(reply), ['sid'], `CONNECT reply must be exactly {sid}: ${JSON.stringify(reply)}`);
  assert.equal(typeof reply.sid, 'string');
  assert.ok(reply.sid.length > 0, 'sid must not be empty');
  const prefix = nsp === '/' ? '' : `${nsp},`;
  assert.equal(await nextSioText(client), `2${prefix}["auth",${JSON.stringify(auth ?? {})}]`);
  return reply.sid;
}

/** Asserts that a connection still echoes "message" on `nsp`. */
async function assertEchoes(client, nsp = '/', tag = 'still alive') {
  const prefix = nsp === '/' ? '' : `${nsp},`;
  sendSio(client, `2${prefix}["message",${JSON.stringify(tag)}]`);
  assert.equal(await nextSioText(client), `2${prefix}["message-back",${JSON.stringify(tag)}]`);
}

// ---------------------------------------------------------------------------

describe('CONNECT', () => {
  test('"40" is answered with 40{"sid"} (exactly that key), then 42["auth",{}]', T, async () => {
    const { client, open: eio } = await openWs();
    sendSio(client, '0');
    const text = await nextSioText(client);
    assert.match(text, /^0\{/, `expected a CONNECT reply for "/", got ${text}`);
    const reply = parseConnectReply(text);
    assert.deepEqual(Object.keys(reply), ['sid']);
    assert.equal(typeof reply.sid, 'string');
    assert.ok(reply.sid.length > 0);
    assert.notEqual(reply.sid, eio.sid, 'the Socket.IO sid must not reveal the Engine.IO sid');
    assert.equal(await nextSioText(client), '2["auth",{}]');
  });

  test('the CONNECT payload of "/" is echoed in the auth event', T, async () => {
    const { client } = await openWs();
    sendSio(client, '0{"token":"123"}');
    parseConnectReply(await nextSioText(client));
    assert.equal(await nextSioText(client), '2["auth",{"token":"123"}]');
  });

  test('"40/custom," is answered with 40/custom,{"sid"}, then 42/custom,["auth",{}]', T, async () => {
    const { client } = await openWs();
    sendSio(client, '0/custom,');
    const reply = parseConnectReply(await nextSioText(client), '/custom');
    assert.deepEqual(Object.keys(reply), ['sid']);
    assert.ok(typeof reply.sid === 'string' && reply.sid.length > 0);
    assert.equal(await nextSioText(client), '2/custom,["auth",{}]');
  });

  test('the CONNECT payload of "/custom" is echoed in its auth event', T, async () => {
    const { client } = await openWs();
    sendSio(client, '0/custom,{"token":"abc"}');
    const reply = parseConnectReply(await nextSioText(client), '/custom');
    assert.deepEqual(Object.keys(reply), ['sid']);
    assert.equal(await nextSioText(client), '2/custom,["auth",{"token":"abc"}]');
  });

  test('each namespace of one connection gets its own sid', T, async () => {
    const { sids, open: eio } = await connectedWs(['/', '/custom']);
    assert.notEqual(sids['/'], sids['/custom']);
    assert.notEqual(sids['/custom'], eio.sid);
  });

  const INVALID = '44/random,{"message":"Invalid namespace"}';
  test(`an unknown namespace gets exactly ${INVALID}, and the connection stays`, T, async () => {
    const { client } = await openWs();
    sendSio(client, '0/random,');
    assert.equal(await nextSioText(client), '4/random,{"message":"Invalid namespace"}');
    // The Engine.IO connection is still there: "/" can be joined on it.
    await connectExpectingAuth(client, '/');
    await assertEchoes(client);
  });
});

describe('malformed packets close the connection (and only that one)', () => {
  const CASES = [
    { name: 'unknown packet type "abc"', wire: '4abc' },
    { name: 'unknown packet type "x"', wire: '4x' },
    { name: 'packet type 7 out of range', wire: '47["message"]' },
    { name: 'EVENT payload that is an object, not an array', wire: '42{}' },
    { name: 'EVENT with a non-numeric ack id', wire: '42abc["message","x"]' },
    { name: 'EVENT with invalid JSON', wire: '42["message",' },
    // Sent while connected to /custom only, so that the connect timeout cannot be what closes it.
    { name: 'CONNECT payload that is a string', wire: '40"str"', nsps: ['/custom'] },
    { name: 'CONNECT payload that is an array', wire: '40/custom,[1]', nsps: ['/'] },
    { name: 'BINARY_EVENT with an empty attachment count', wire: '45-["message",{"_placeholder":true,"num":0}]' },
    { name: 'BINARY_EVENT with a non-numeric attachment count', wire: '45abc-["message"]' },
    { name: 'a binary message that no BINARY_EVENT announced', binary: Buffer.from([1, 2, 3]) },
    {
      name: 'a text packet while attachments are awaited',
      wire: ['451-["message",{"_placeholder":true,"num":0}]', '42["message","too early"]'],
    },
  ];

  for (const c of CASES) {
    test(c.name, T, async () => {
      // A bystander connected before, and still working after.
      const bystander = await connectedWs(['/', '/custom']);
      const victim = await connectedWs(c.nsps ?? ['/']);
      if (c.binary) victim.client.send(c.binary);
      for (const w of [c.wire ?? []].flat()) victim.client.send(w);

      const { messages } = await messagesUntilClose(victim.client, 2000);
      // At most the Engine.IO close packet: the bad packet must not have been processed.
      const unexpected = messages.filter((m) => m !== '1');
      assert.deepEqual(unexpected, [], `nothing but an Engine.IO close may precede the close`);

      assert.equal(bystander.client.closeInfo, null, 'the other connection must stay open');
      await assertEchoes(bystander.client, '/');
      await assertEchoes(bystander.client, '/custom');
    });
  }
});

describe('events and acknowledgements', () => {
  test('42["message",...] is echoed exactly as 42["message-back",...]', T, async () => {
    const { client } = await connectedWs();
    sendSio(client, '2["message",1,"2",{"3":[true]}]');
    assert.equal(await nextSioText(client), '2["message-back",1,"2",{"3":[true]}]');
  });

  test('an EVENT with ack id 456 is acknowledged exactly as 43456[...]', T, async () => {
    const { client } = await connectedWs();
    sendSio(client, '2456["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await nextSioText(client), '3456[1,"2",{"3":[false]}]');
  });

  test('events and acks on /custom carry the namespace', T, async () => {
    const { client } = await connectedWs(['/', '/custom']);
    sendSio(client, '2/custom,["message","c"]');
    assert.equal(await nextSioText(client), '2/custom,["message-back","c"]');
    sendSio(client, '2/custom,17["message-with-ack","d",null]');
    assert.equal(await nextSioText(client), '3/custom,17["d",null]');
  });

  test('a BINARY_EVENT with two attachments comes back as message-back with both, in order', T, async () => {
    const { client } = await connectedWs();
    sendSio(client, '52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    client.send(Buffer.from([1, 2, 3]));
    client.send(Buffer.from([4, 5, 6]));
    assert.equal(
      await nextSio(client),
      '52-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
    );
    assert.deepEqual(await nextSio(client), Buffer.from([1, 2, 3]));
    assert.deepEqual(await nextSio(client), Buffer.from([4, 5, 6]));
    // The decoder is back to normal afterwards.
    await assertEchoes(client);
  });

  test('a BINARY_EVENT with ack id 789 is acknowledged with a BINARY_ACK and both attachments', T, async () => {
    const { client } = await connectedWs();
    sendSio(client, '52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    client.send(Buffer.from([1, 2, 3]));
    client.send(Buffer.from([4, 5, 6]));
    assert.equal(await nextSio(client), '62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
    assert.deepEqual(await nextSio(client), Buffer.from([1, 2, 3]));
    assert.deepEqual(await nextSio(client), Buffer.from([4, 5, 6]));
  });

  test('server-to-client emit with ack: the ack arguments come back in a new event', T, async () => {
    const { client } = await connectedWs();
    sendSio(client, '2["emit-with-ack",1,"2"]');
    const text = await nextSioText(client);
    const m = /^2(\d+)\["emit-with-ack",1,"2"\]$/.exec(text);
    assert.ok(m, `expected 42<id>["emit-with-ack",1,"2"], got ${text}`);
    sendSio(client, `3${m[1]}["ack-arg"]`);
    assert.equal(await nextSioText(client), '2["emit-with-ack","ack-arg"]');
  });

  test('server-to-client emit with ack, binary: the client answers with a BINARY_ACK', T, async () => {
    const { client } = await connectedWs();
    sendSio(client, '2["emit-with-ack","x"]');
    const m = /^2(\d+)\["emit-with-ack","x"\]$/.exec(await nextSioText(client));
    assert.ok(m, 'expected an EVENT with an ack id');
    sendSio(client, `61-${m[1]}[${JSON.stringify(placeholder(0))},"tail"]`);
    client.send(Buffer.from([9, 8, 7]));
    assert.equal(await nextSio(client), '51-["emit-with-ack",{"_placeholder":true,"num":0},"tail"]');
    assert.deepEqual(await nextSio(client), Buffer.from([9, 8, 7]));
  });

  test('an ACK with an unknown id is ignored', T, async () => {
    const { client } = await connectedWs();
    sendSio(client, '3999["nobody asked"]');
    await assertEchoes(client);
  });
});

describe('DISCONNECT', () => {
  test('"41" gets no reply and the Engine.IO connection stays open', T, async () => {
    const { client, sids } = await connectedWs(['/']);
    sendSio(client, '1');
    // Not connected to "/" any more: this event must be ignored.
    sendSio(client, '2["message","ignored"]');
    sendSio(client, '0/custom,');
    // Messages are ordered: had "41" or the event been answered, that answer would come first.
    const reply = parseConnectReply(await nextSioText(client), '/custom');
    assert.deepEqual(Object.keys(reply), ['sid']);
    assert.equal(await nextSioText(client), '2/custom,["auth",{}]');

    // Still alive through heartbeats, and working.
    await waitForPing(client, 2000);
    await waitForPing(client, 2000);
    assert.equal(client.closeInfo, null);
    await assertEchoes(client, '/custom');

    // "/" can be joined again, as a new socket.
    const again = await connectExpectingAuth(client, '/');
    assert.notEqual(again, sids['/'], 'a new connection to "/" must get a new sid');
    await assertEchoes(client, '/');
  });

  test('"41/custom," leaves /custom only: "/" still echoes, /custom is ignored', T, async () => {
    const { client } = await connectedWs(['/', '/custom']);
    sendSio(client, '1/custom,');
    sendSio(client, '2/custom,["message","ignored"]');
    sendSio(client, '2["message","to main"]');
    assert.equal(await nextSioText(client), '2["message-back","to main"]');
  });
});

describe('connect timeout', () => {
  test(`a connection that joins no namespace is closed after about ${CONNECT_TIMEOUT} ms`, T, async () => {
    const { client, openedAt } = await openWs();
    const { closeInfo, messages } = await messagesUntilClose(client, 2500);
    const elapsed = closeInfo.at - openedAt;
    assert.ok(elapsed >= 800, `closed after ${elapsed} ms, before the connect timeout`);
    assert.ok(elapsed <= 2500, `closed after ${elapsed} ms`);
    assert.deepEqual(messages.filter((m) => m !== '1'), [], 'nothing but an Engine.IO close was expected');
  });

  test('a refused CONNECT does not count as joining: still closed by the timeout', T, async () => {
    const { client, openedAt } = await openWs();
    sendSio(client, '0/random,');
    assert.equal(await nextSioText(client), '4/random,{"message":"Invalid namespace"}');
    const { closeInfo } = await messagesUntilClose(client, 2500);
    const elapsed = closeInfo.at - openedAt;
    assert.ok(elapsed >= 800 && elapsed <= 2500, `closed after ${elapsed} ms`);
  });

  test('a connected client is not closed by the connect timeout', T, async () => {
    const { client, openedAt } = await connectedWs(['/']);
    while (Date.now() - openedAt < CONNECT_TIMEOUT + 300) await waitForPing(client, 2000);
    assert.equal(client.closeInfo, null);
    await assertEchoes(client);
  });
});

describe('HTTP long-polling', () => {
  /** A polling session connected to "/"; returns the PollingClient. */
  async function connectedPolling() {
    const pc = sioPollingClient(server.url);
    open.add(pc);
    const eio = await pc.handshake();
    assert.deepEqual(eio.upgrades, ['websocket']);
    const res = await pc.post('40');
    assert.equal(res.status, 200, `POST 40: ${res.status} ${res.body}`);
    const [connect, auth] = await pollPackets(pc, 2);
    assert.match(connect, /^40\{/, `expected 40{...}, got ${connect}`);
    const reply = JSON.parse(connect.slice(2));
    assert.deepEqual(Object.keys(reply), ['sid']);
    assert.notEqual(reply.sid, pc.sid);
    assert.equal(auth, '42["auth",{}]');
    return pc;
  }

  test('CONNECT, auth event and message echo', T, async () => {
    const pc = await connectedPolling();
    const res = await pc.post('42["message",1,"2",{"3":[true]}]');
    assert.equal(res.status, 200);
    assert.deepEqual(await pollPackets(pc, 1), ['42["message-back",1,"2",{"3":[true]}]']);
  });

  test('several packets in one POST: each is answered, in order', T, async () => {
    const pc = await connectedPolling();
    const res = await pc.post(['42["message","a"]', '4212["message-with-ack","b"]', '42["message","c"]'].join(SEP));
    assert.equal(res.status, 200);
    assert.deepEqual(await pollPackets(pc, 3), ['42["message-back","a"]', '4312["b"]', '42["message-back","c"]']);
  });

  test('a BINARY_EVENT with base64 attachments is echoed with its attachments', T, async () => {
    const pc = await connectedPolling();
    const body = [
      '452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
      `b${Buffer.from([1, 2, 3]).toString('base64')}`,
      `b${Buffer.from([4, 5, 6]).toString('base64')}`,
    ].join(SEP);
    assert.equal((await pc.post(body)).status, 200);
    assert.deepEqual(await pollPackets(pc, 3), [
      '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
      'bAQID',
      'bBAUG',
    ]);
  });

  test('CONNECT with a payload to /custom over polling', T, async () => {
    const pc = await connectedPolling();
    assert.equal((await pc.post('40/custom,{"token":"p"}')).status, 200);
    const [connect, auth] = await pollPackets(pc, 2);
    const reply = parseConnectReply(connect.slice(1), '/custom');
    assert.deepEqual(Object.keys(reply), ['sid']);
    assert.equal(auth, '42/custom,["auth",{"token":"p"}]');
  });
});
