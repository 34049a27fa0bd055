// Small Engine.IO v4 wire-level helpers for the e2e tests: HTTP requests with
// bounded time, a long-polling session driver, a WebSocket driver with a
// message queue, and a raw TCP/HTTP connection.

import net from 'node:net';
import WebSocket from 'ws';
import { withTimeout } from './server.mjs';

/** Record separator between packets of one polling payload. */
export const SEP = '\x1e';

export const PING_INTERVAL = 300;
export const PING_TIMEOUT = 200;
export const MAX_PAYLOAD = 1000000;

/** Endpoint path of the engineio-echo server. */
export const ENGINE_PATH = '/engine.io/';

/** URL of the engine.io endpoint (at `path`, default /engine.io/) with a raw query string. */
export function eioUrl(base, query, path = ENGINE_PATH) {
  return `${base}${path}?${query}`;
}

/** ws:// URL for `base` (http://host:port). */
export function wsBase(base) {
  return base.replace(/^http/, 'ws');
}

/**
 * One HTTP request with fetch, bounded by `timeoutMs`, optionally also aborted by `signal`.
 * Resolves { status, headers, body } (body as text). Rejects on network error or timeout.
 */
export async function request(url, { method = 'GET', body, headers, timeoutMs = 3000, signal } = {}) {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, timeoutMs);
  const onOuterAbort = () => ac.abort();
  if (signal) {
    if (signal.aborted) ac.abort();
    else signal.addEventListener('abort', onOuterAbort, { once: true });
  }
  try {
    const res = await fetch(url, { method, body, headers, signal: ac.signal });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text };
  } catch (err) {
    if (timedOut) throw new Error(`${method} ${url}: no complete response within ${timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener('abort', onOuterAbort);
  }
}

/** Parses an open packet `0{...}`; asserts nothing, returns the object (throws on bad JSON). */
export function parseOpenPacket(text) {
  if (typeof text !== 'string' || text[0] !== '0') {
    throw new Error(`expected an open packet "0{...}", got ${JSON.stringify(text).slice(0, 200)}`);
  }
  return JSON.parse(text.slice(1));
}

/** Parses an Engine.IO HTTP error body {"code":N,"message":"..."}. */
export function parseErrorBody(body) {
  try {
    return JSON.parse(body);
  } catch {
    throw new Error(`error body is not JSON: ${JSON.stringify(body).slice(0, 200)}`);
  }
}

/**
 * Drives a long-polling session with fetch. Every request is bounded in time and
 * can be aborted all at once with abortAll() (use it in finally blocks).
 */
export class PollingClient {
  constructor(base, { headers = {}, path = ENGINE_PATH } = {}) {
    this.base = base;
    this.path = path;
    this.headers = headers;
    this.sid = null;
    this.open = null;
    this.controller = new AbortController();
    this.pongsSent = 0;
  }

  get url() {
    return eioUrl(this.base, `EIO=4&transport=polling&sid=${encodeURIComponent(this.sid)}`, this.path);
  }

  /** GET handshake; stores sid; returns the parsed open packet. */
  async handshake() {
    const res = await request(eioUrl(this.base, 'EIO=4&transport=polling', this.path), {
      signal: this.controller.signal,
      headers: this.headers,
    });
    if (res.status !== 200) throw new Error(`handshake failed: ${res.status} ${res.body}`);
    this.open = parseOpenPacket(res.body);
    this.sid = this.open.sid;
    return this.open;
  }

  get({ timeoutMs = 3000 } = {}) {
    return request(this.url, { timeoutMs, signal: this.controller.signal, headers: this.headers });
  }

  post(body, { timeoutMs = 3000, headers } = {}) {
    return request(this.url, {
      method: 'POST',
      body,
      timeoutMs,
      signal: this.controller.signal,
      headers: { 'Content-Type': 'text/plain;charset=UTF-8', ...this.headers, ...headers },
    });
  }

  /**
   * Long-polls until a response carries packets other than pings; pings are
   * answered with a pong POST. Resolves { packets, body } where packets are the
   * non-ping packets of that one response, body the whole response text and
   * res that response.
   */
  async receive({ timeoutMs = 3000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no packet other than ping received within ${timeoutMs} ms`);
      const res = await this.get({ timeoutMs: left });
      if (res.status !== 200) throw new Error(`polling GET failed: ${res.status} ${res.body}`);
      const all = res.body.split(SEP);
      const pings = all.filter((p) => p === '2').length;
      const packets = all.filter((p) => p !== '2');
      for (let i = 0; i < pings; i++) {
        const pong = await this.post('3');
        if (pong.status !== 200) throw new Error(`pong POST failed: ${pong.status} ${pong.body}`);
        this.pongsSent++;
      }
      if (packets.length > 0) return { packets, body: res.body, res };
    }
  }

  /** Aborts every request in flight (and any later one) of this client. */
  abortAll() {
    this.controller.abort();
  }
}

/**
 * WebSocket driver. Messages are queued so that none is lost between awaits.
 * With autoPong (default) every text "2" is answered with "3" and not queued.
 */
export class WsClient {
  constructor(url, { autoPong = true } = {}) {
    this.url = url;
    this.autoPong = autoPong;
    this.queue = [];
    this.waiters = [];
    this.pings = 0;
    this.closeInfo = null;
    this.errors = [];
    this.ws = new WebSocket(url);
    this.ws.on('error', (err) => this.errors.push(err));
    this.ws.on('message', (data, isBinary) => this._onMessage(data, isBinary));
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString('utf8'), at: Date.now() };
        const waiters = this.waiters.splice(0);
        for (const w of waiters) w.reject(new Error(`WebSocket closed (code ${code}) while waiting for a message`));
        resolve(this.closeInfo);
      });
    });
  }

  _onMessage(data, isBinary) {
    const msg = isBinary
      ? { data: Buffer.isBuffer(data) ? data : Buffer.concat(data), isBinary: true }
      : { data: data.toString('utf8'), isBinary: false };
    if (!isBinary && msg.data === '2') {
      this.pings++;
      if (this.autoPong) {
        this.ws.send('3');
        return;
      }
    }
    const w = this.waiters.shift();
    if (w) w.resolve(msg);
    else this.queue.push(msg);
  }

  /** Waits for the connection to open; rejects on error, HTTP refusal, close or timeout. */
  waitOpen(timeoutMs = 3000) {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        this.ws.off('open', onOpen);
        this.ws.off('error', onError);
        this.ws.off('close', onClose);
      };
      const onOpen = () => {
        cleanup();
        resolve();
      };
      const onError = (err) => {
        cleanup();
        reject(new Error(`WebSocket ${this.url} failed to open: ${err.message}`));
      };
      const onClose = (code) => {
        cleanup();
        reject(new Error(`WebSocket ${this.url} closed (code ${code}) before opening`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`WebSocket ${this.url} did not open within ${timeoutMs} ms`));
      }, timeoutMs);
      this.ws.on('open', onOpen);
      this.ws.on('error', onError);
      this.ws.on('close', onClose);
    });
  }

  /** Next queued message { data: string|Buffer, isBinary }. */
  next(timeoutMs = 2000) {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.closeInfo) return Promise.reject(new Error(`WebSocket already closed (code ${this.closeInfo.code})`));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no WebSocket message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Next message, which must be text; returns the string. */
  async nextText(timeoutMs = 2000) {
    const m = await this.next(timeoutMs);
    if (m.isBinary) throw new Error(`expected a text message, got binary ${m.data.toString('hex')}`);
    return m.data;
  }

  send(data, options) {
    this.ws.send(data, options);
  }

  /** Waits for the close (bounded); resolves { code, reason, at }. */
  waitClose(timeoutMs = 2000) {
    return withTimeout(this.closed, timeoutMs, `close of WebSocket ${this.url}`);
  }

  terminate() {
    this.ws.terminate();
  }
}

/**
 * Opens a WebSocket-only session (no sid) at `path` (default /engine.io/) and
 * reads its open packet. Resolves { client, open, openedAt }.
 */
export async function openWsSession(base, { autoPong = true, timeoutMs = 3000, path = ENGINE_PATH } = {}) {
  const client = new WsClient(eioUrl(wsBase(base), 'EIO=4&transport=websocket', path), { autoPong });
  try {
    await client.waitOpen(timeoutMs);
    const openedAt = Date.now();
    const first = await client.nextText(timeoutMs);
    return { client, open: parseOpenPacket(first), openedAt };
  } catch (err) {
    client.terminate();
    throw err;
  }
}

/**
 * A raw TCP connection speaking HTTP/1.1 by hand: send bytes, read whole
 * responses (Content-Length or chunked), observe the server closing it.
 * `localAddress` (e.g. 127.0.0.2) makes it come from another loopback address.
 */
export class RawHttpConnection {
  constructor(port, { localAddress } = {}) {
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.error = null;
    this.notify = null;
    this.socket = net.connect({ host: '127.0.0.1', port, localAddress });
    this.socket.on('data', (chunk) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this._wake();
    });
    this.socket.on('error', (err) => {
      this.error = err;
      this._wake();
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', () => {
        this.ended = true;
        this.closedAt = Date.now();
        this._wake();
        resolve();
      });
    });
    this.connected = withTimeout(
      new Promise((resolve, reject) => {
        this.socket.once('connect', resolve);
        this.socket.once('error', reject);
      }),
      3000,
      `TCP connect to 127.0.0.1:${port}`,
    );
    // Observed by whoever awaits it; never an unhandled rejection.
    this.connected.catch(() => {});
  }

  _wake() {
    const n = this.notify;
    this.notify = null;
    if (n) n();
  }

  write(text) {
    return new Promise((resolve, reject) => {
      this.socket.write(text, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Reads one complete HTTP response: { status, statusLine, headers (lower-case), body (Buffer) }. */
  async readResponse(timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = this._tryParse();
      if (parsed) return parsed;
      if (this.ended || this.error) {
        const got = this.buf.toString('latin1').slice(0, 300);
        throw new Error(
          `connection ${this.error ? `error (${this.error.code || this.error.message})` : 'closed'} ` +
            `before a complete response; received ${JSON.stringify(got)}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no complete HTTP response within ${timeoutMs} ms`);
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, left);
        this.notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  _tryParse() {
    const headEnd = this.buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return null;
    const head = this.buf.subarray(0, headEnd).toString('latin1');
    const [statusLine, ...lines] = head.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const status = Number(m[1]);
    const headers = {};
    for (const line of lines) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const bodyStart = headEnd + 4;
    let body;
    let consumed;
    if (status < 200 || status === 204 || status === 304) {
      body = Buffer.alloc(0);
      consumed = bodyStart;
    } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
      const parts = [];
      let pos = bodyStart;
      for (;;) {
        const lineEnd = this.buf.indexOf('\r\n', pos);
        if (lineEnd < 0) return null;
        const size = parseInt(this.buf.subarray(pos, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        if (size === 0) {
          // No trailers expected: final CRLF.
          if (this.buf.length < lineEnd + 4) return null;
          consumed = lineEnd + 4;
          break;
        }
        if (this.buf.length < lineEnd + 2 + size + 2) return null;
        parts.push(this.buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        pos = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (this.buf.length < bodyStart + len) return null;
      body = this.buf.subarray(bodyStart, bodyStart + len);
      consumed = bodyStart + len;
    } else {
      // Body delimited by the close of the connection.
      if (!this.ended) return null;
      body = this.buf.subarray(bodyStart);
      consumed = this.buf.length;
    }
    this.buf = this.buf.subarray(consumed);
    return { status, statusLine, headers, body: Buffer.from(body) };
  }

  /** Waits until the server closes the connection (bounded); resolves the time it happened. */
  async waitClose(timeoutMs = 2000) {
    await withTimeout(this.closed, timeoutMs, 'server closing the TCP connection');
    return this.closedAt;
  }

  destroy() {
    this.socket.destroy();
  }
}

/**
 * Tries a WebSocket connection that the server is expected to refuse.
 * Resolves (never rejects) with what happened within timeoutMs:
 *  - { httpStatus, httpBody, contentType } when refused with an HTTP response;
 *  - { opened: true, messages, closed, closeCode } when the upgrade was accepted
 *    (after opening, `probes` are sent so that a working session would answer);
 *  - { opened: false, closed: true, error } when the connection was dropped;
 *  - { timedOut: true, ... } when nothing conclusive happened.
 * `headers` are added to the upgrade request (e.g. Origin).
 */
export function attemptWs(url, { timeoutMs = 2000, probes = ['2probe', '4dup'], headers = {} } = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const messages = [];
    let opened = false;
    let lastError = null;
    let settled = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        ws.terminate();
      } catch {
        // already gone
      }
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ opened, messages, closed: false, timedOut: true, error: lastError?.message }),
      timeoutMs,
    );
    ws.on('error', (err) => {
      lastError = err;
    });
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      const done = () =>
        finish({ httpStatus: res.statusCode, httpBody: body, contentType: res.headers['content-type'] || '' });
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', done);
      res.on('error', done);
      res.on('aborted', done);
    });
    ws.on('open', () => {
      opened = true;
      for (const p of probes) ws.send(p);
    });
    ws.on('message', (data, isBinary) => {
      messages.push(isBinary ? Buffer.from(data) : data.toString('utf8'));
    });
    ws.on('close', (code) => finish({ opened, messages, closed: true, closeCode: code, error: lastError?.message }));
  });
}
