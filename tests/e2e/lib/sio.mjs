// Socket.IO v5 wire-level helpers for the e2e tests, on top of the Engine.IO
// helpers of eio.mjs: a Socket.IO packet travels as the data of an Engine.IO
// message packet ("4" + packet text), its binary attachments as the binary
// messages that follow it.

import { openWsSession, PollingClient, SEP } from './eio.mjs';

/** Endpoint path of the Socket.IO servers under test. */
export const SIO_PATH = '/socket.io/';

/** The placeholder that stands for binary attachment `num` inside a packet's JSON. */
export function placeholder(num) {
  return { _placeholder: true, num };
}

/** "<nsp>," for a namespace other than "/", else "" (the namespace part of a packet). */
export function nspPrefix(nsp) {
  return nsp === '/' ? '' : `${nsp},`;
}

/** Text of a CONNECT packet to `nsp`, with `auth` as payload when given. */
export function connectPacket(nsp = '/', auth) {
  return `0${nspPrefix(nsp)}${auth === undefined ? '' : JSON.stringify(auth)}`;
}

/**
 * Opens a WebSocket-only Engine.IO session on the Socket.IO endpoint and reads
 * its open packet. Resolves { client (a WsClient that answers pings), open, openedAt }.
 */
export function openSioWs(base, { autoPong = true, timeoutMs = 3000 } = {}) {
  return openWsSession(base, { autoPong, timeoutMs, path: SIO_PATH });
}

/** A PollingClient on the Socket.IO endpoint. */
export function sioPollingClient(base, options = {}) {
  return new PollingClient(base, { ...options, path: SIO_PATH });
}

/** Sends one Socket.IO packet (text) over a WsClient, as an Engine.IO message. */
export function sendSio(client, packet) {
  client.send(`4${packet}`);
}

/**
 * Next Socket.IO-level message on a WsClient: the packet text (without the
 * Engine.IO "4") for a text message, a Buffer for a binary one. Rejects when a
 * text message is not an Engine.IO message packet.
 */
export async function nextSio(client, timeoutMs = 2000) {
  const m = await client.next(timeoutMs);
  if (m.isBinary) return m.data;
  if (m.data[0] !== '4') {
    throw new Error(`expected an Engine.IO message packet ("4..."), got ${JSON.stringify(m.data).slice(0, 200)}`);
  }
  return m.data.slice(1);
}

/** Next Socket.IO packet, which must be text; returns the packet text. */
export async function nextSioText(client, timeoutMs = 2000) {
  const p = await nextSio(client, timeoutMs);
  if (Buffer.isBuffer(p)) throw new Error(`expected a text packet, got binary ${p.toString('hex')}`);
  return p;
}

/**
 * Parses a CONNECT reply `0[<nsp>,]{...}` for `nsp`; returns the payload object.
 * Throws when the text is anything else.
 */
export function parseConnectReply(text, nsp = '/') {
  const prefix = `0${nspPrefix(nsp)}`;
  if (!text.startsWith(`${prefix}{`)) {
    throw new Error(`expected a CONNECT reply "${prefix}{...}", got ${JSON.stringify(text).slice(0, 200)}`);
  }
  return JSON.parse(text.slice(prefix.length));
}

/**
 * Sends CONNECT to `nsp` (with `auth` if given) and reads the CONNECT reply.
 * Resolves the reply's payload ({ sid }). Does not read anything after it.
 */
export async function sioConnect(client, nsp = '/', auth, timeoutMs = 2000) {
  sendSio(client, connectPacket(nsp, auth));
  return parseConnectReply(await nextSioText(client, timeoutMs), nsp);
}

/**
 * Collects every message received until the server closes the WebSocket.
 * Resolves { messages, closeInfo }; rejects if it is still open after timeoutMs.
 */
export async function messagesUntilClose(client, timeoutMs = 2000) {
  const deadline = Date.now() + timeoutMs;
  const messages = [];
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0 && !client.closeInfo) {
      throw new Error(
        `the server did not close the connection within ${timeoutMs} ms; received ${JSON.stringify(messages)}`,
      );
    }
    try {
      const m = await client.next(Math.max(left, 1));
      messages.push(m.data);
    } catch (err) {
      if (client.closeInfo) return { messages, closeInfo: client.closeInfo };
      throw new Error(
        `the server did not close the connection within ${timeoutMs} ms (${err.message}); ` +
          `received ${JSON.stringify(messages)}`,
      );
    }
  }
}

/**
 * Resolves when the WsClient receives its next Engine.IO ping ("2"), which its
 * autoPong answers; rejects after timeoutMs or when the connection closes first.
 */
export function waitForPing(client, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      client.ws.off('message', onMessage);
      client.ws.off('close', onClose);
    };
    const onMessage = (data, isBinary) => {
      if (!isBinary && data.toString('utf8') === '2') {
        cleanup();
        resolve();
      }
    };
    const onClose = (code) => {
      cleanup();
      reject(new Error(`connection closed (code ${code}) while waiting for a ping`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no ping within ${timeoutMs} ms`));
    }, timeoutMs);
    client.ws.on('message', onMessage);
    client.ws.on('close', onClose);
  });
}

/**
 * Long-polls a PollingClient until `count` packets other than pings have come
 * (pings are answered). Resolves the packet texts (Engine.IO level, e.g.
 * "40{...}" or "bAQID"), in order.
 */
export async function pollPackets(pc, count, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  const packets = [];
  while (packets.length < count) {
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(`only ${packets.length} of ${count} packets within ${timeoutMs} ms: ${JSON.stringify(packets)}`);
    }
    const { packets: got } = await pc.receive({ timeoutMs: left });
    packets.push(...got);
  }
  return packets;
}

export { SEP };
