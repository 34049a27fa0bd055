// Helpers for the reportd end-to-end tests: run the reportd binary (server and
// CLI) against a fresh SQLite database in a temporary directory (or, with
// E2E_DATABASE=postgres, a fresh PostgreSQL database), call its REST API,
// connect the official socket.io-client to its /ws/internal namespace, and
// build JWTs by hand. Every wait is bounded.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { io } from 'socket.io-client';
import { startPostgres } from './postgres.mjs';
import { SanitizerLogs } from './sanitizer.mjs';
import { repoRoot, startServer, withTimeout } from './server.mjs';

/** Absolute path of the reportd binary (env REPORTD_BIN, relative to the repo root). */
export const reportdBin = path.resolve(repoRoot, process.env.REPORTD_BIN || 'build/src/app/reportd');

/** Namespace of the live channel. */
export const LIVE_NSP = '/ws/internal';

/** UTC ISO 8601 with milliseconds and Z, as the service writes creation timestamps. */
export const UTC_MS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** ISO 8601 with milliseconds and a numeric offset (Rome time on GET endpoints). */
export const OFFSET_MS_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$/;

/** A random HS256 secret. */
export function randomSecret() {
  return randomBytes(32).toString('hex');
}

/**
 * The database the tests run reportd on: 'sqlite' (default: a file in the test's
 * temporary directory) or 'postgres' (E2E_DATABASE=postgres: a fresh database in
 * a cluster that this process starts on first use and stops at exit).
 */
export const e2eDatabase = process.env.E2E_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

let sharedCluster;
let databaseCount = 0;

/** A fresh database in this process's PostgreSQL cluster: { name, url, queryJson(sql), drop() }. */
async function freshPostgresDatabase() {
  sharedCluster ??= startPostgres();
  const pg = await sharedCluster;
  const name = `e2e_${process.pid}_${++databaseCount}`;
  pg.createDatabase(name);
  return {
    name,
    url: pg.url(name),
    queryJson: (sql) => pg.queryJson(name, sql),
    drop: () => pg.dropDatabase(name),
  };
}

/** Default password of a test user (at least 8 characters). */
function defaultPassword(username) {
  return `pw-${username}-${randomBytes(4).toString('hex')}`;
}

/**
 * Creates a temporary directory, creates `users` with `reportd user add`
 * (each { username, role, internal?, password? }; password defaults to a
 * random one), then runs `reportd serve` on a free port with
 * DATABASE_URL=sqlite:<dir>/reportd.db (with E2E_DATABASE=postgres: a fresh
 * PostgreSQL database), JWT_SECRET=<random>, HOST=127.0.0.1 and `env` over them.
 * Resolves {
 *   url, port, proc, dir, env, secret,
 *   users: { [username]: { id, username, role, internal, password } },
 *   run(args, input) -> { status, stdout, stderr }  (the CLI, same environment),
 *   addUser(user) -> user with id,
 *   token(username) -> token from `reportd token`,
 *   database: 'sqlite' or 'postgres',
 *   queryRows(sql) -> the rows of a SELECT, read from the database itself (either kind),
 *   log(), printLog(title), exited,
 *   crash() -> { code, signal } (SIGKILL: no shutdown at all; keeps the directory),
 *   restart() (`reportd serve` again on the same port, database and secret, after a crash),
 *   stop() -> { code, signal } (SIGTERM; removes the directory),
 * }. url, port, proc, exited, log and printLog always refer to the latest process.
 */
export async function startReportd({ users = [], env = {}, readyTimeoutMs = 15000 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reportd-e2e-'));
  const secret = env.JWT_SECRET ?? randomSecret();
  let pg;
  if (e2eDatabase === 'postgres' && env.DATABASE_URL === undefined) {
    try {
      pg = await freshPostgresDatabase();
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const removeAll = () => {
    fs.rmSync(dir, { recursive: true, force: true });
    pg?.drop();
  };
  const baseEnv = {
    DATABASE_URL: pg ? pg.url : `sqlite:${path.join(dir, 'reportd.db')}`,
    JWT_SECRET: secret,
    HOST: '127.0.0.1',
    ...env,
  };

  // A sanitizer report from the CLI throws here, whatever the caller expects of the status.
  const run = (args, input) => {
    const sanitizerLogs = new SanitizerLogs(`reportd ${args.join(' ')}`);
    const childEnv = { ...process.env };
    for (const k of ['PORT', 'JWT_PUBLIC_KEY', 'JWT_ALGORITHMS', 'JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_TTL_SECONDS']) {
      delete childEnv[k];
    }
    Object.assign(childEnv, sanitizerLogs.env, baseEnv);
    const r = spawnSync(reportdBin, args, {
      cwd: repoRoot,
      env: childEnv,
      input: input ?? '',
      encoding: 'utf8',
      timeout: 30000,
    });
    if (r.error) throw new Error(`cannot run ${reportdBin} ${args.join(' ')}: ${r.error.message} (build it first, or set REPORTD_BIN)`);
    sanitizerLogs.check({ code: r.status });
    sanitizerLogs.dispose();
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };

  const created = {};
  const addUser = ({ username, role, internal = false, password = defaultPassword(username) }) => {
    const args = ['user', 'add', '--username', username, '--role', role];
    if (internal) args.push('--internal');
    args.push('--password-stdin');
    const r = run(args, `${password}\n`);
    if (r.status !== 0) {
      throw new Error(`reportd ${args.join(' ')} failed (status ${r.status}): ${r.stdout}${r.stderr}`);
    }
    const m = /created user (\d+)/.exec(r.stdout);
    const user = { id: m ? Number(m[1]) : undefined, username, role, internal, password };
    created[username] = user;
    return user;
  };

  try {
    for (const u of users) addUser(u);
  } catch (err) {
    removeAll();
    throw err;
  }

  const serve = (port) =>
    startServer({ bin: reportdBin, binEnv: 'REPORTD_BIN', args: ['serve'], env: baseEnv, readyTimeoutMs, port });
  let server;
  try {
    server = await serve();
  } catch (err) {
    removeAll();
    throw err;
  }

  const queryRows = (sql) => {
    if (pg) return pg.queryJson(sql);
    const file = baseEnv.DATABASE_URL.slice('sqlite:'.length);
    const db = new Database(file, { fileMustExist: true, timeout: 5000 });
    try {
      return db.prepare(sql).all();
    } finally {
      db.close();
    }
  };

  return {
    get url() {
      return server.url;
    },
    get port() {
      return server.port;
    },
    get proc() {
      return server.proc;
    },
    get exited() {
      return server.exited;
    },
    dir,
    env: baseEnv,
    database: pg ? 'postgres' : 'sqlite',
    queryRows,
    secret,
    users: created,
    run,
    addUser,
    token(username) {
      const r = run(['token', '--username', username]);
      if (r.status !== 0) throw new Error(`reportd token --username ${username} failed: ${r.stdout}${r.stderr}`);
      return r.stdout.trim();
    },
    log: () => server.log(),
    printLog: (title) => server.printLog(title),
    async crash() {
      return server.stop({ signal: 'SIGKILL' });
    },
    async restart() {
      server = await serve(server.port);
    },
    async stop() {
      try {
        return await server.stop();
      } finally {
        removeAll();
      }
    },
  };
}

/**
 * One HTTP request to the service. `body` is sent as JSON; `rawBody` (string or
 * Buffer) as is. Content-Type defaults to application/json when there is a body
 * (pass headers {'content-type': null} to omit it). `token` adds
 * "Authorization: Bearer <token>". `localAddress` is the source address: on
 * loopback any 127.x.y.z acts as another client.
 * Resolves { status, headers, json (undefined if the body is not JSON), text }.
 */
export function api(url, method, pathname, { token, body, headers = {}, rawBody, localAddress, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const h = {};
    for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = v;
    let payload;
    if (rawBody !== undefined) payload = Buffer.isBuffer(rawBody) ? rawBody : Buffer.from(String(rawBody), 'utf8');
    else if (body !== undefined) payload = Buffer.from(JSON.stringify(body), 'utf8');
    if (payload && !('content-type' in h)) h['content-type'] = 'application/json';
    if (token !== undefined && !('authorization' in h)) h.authorization = `Bearer ${token}`;
    if (payload && !('content-length' in h) && !('transfer-encoding' in h)) h['content-length'] = String(payload.length);
    for (const k of Object.keys(h)) if (h[k] === null || h[k] === undefined) delete h[k];

    let responded = false;
    let settled = false;
    const what = `${method} ${pathname}`;
    const req = http.request(new URL(pathname, url), { method, headers: h, agent: false, localAddress });
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(new Error(`${what}: no complete response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      responded = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new Error(`${what}: response failed: ${err.message}`));
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, json, text });
      });
    });
    req.on('error', (err) => {
      // The server may answer (e.g. 413) and close before the whole body is written.
      if (responded || settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${what}: ${err.message}`));
    });
    if (payload) req.end(payload);
    else req.end();
  });
}

/** POST /api/auth/login; resolves the token, throws unless 200. */
export async function login(url, username, password) {
  const r = await api(url, 'POST', '/api/auth/login', { body: { username, password } });
  if (r.status !== 200 || typeof r.json?.token !== 'string') {
    throw new Error(`login of ${username} failed: ${r.status} ${r.text}`);
  }
  return r.json.token;
}

/**
 * A socket.io-client socket on `${url}/ws/internal` (forceNew, no reconnection,
 * unless `opts` says otherwise). Resolves it once connected; rejects with the
 * connect_error (err.message, err.data) after closing it, or on timeout.
 */
export function connectLive(url, opts = {}, timeoutMs = 5000) {
  const socket = io(`${url}${LIVE_NSP}`, { forceNew: true, reconnection: false, timeout: timeoutMs, ...opts });
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    };
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    const onError = (err) => {
      cleanup();
      closeLive(socket);
      reject(err);
    };
    const timer = setTimeout(() => {
      cleanup();
      closeLive(socket);
      reject(new Error(`no connect or connect_error on ${LIVE_NSP} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

/** Closes a socket.io-client socket and its Manager. */
export function closeLive(socket) {
  try {
    socket.disconnect();
    socket.io.disconnect();
  } catch {
    // already closed
  }
}

/** Resolves { reason, at } of the socket's next `disconnect` (at: Date.now() then). */
export function disconnection(socket) {
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve({ reason, at: Date.now() })));
}

/** Waits for every disconnection (bounded), asserts the reasons, and reports the delays. */
export async function assertServerDisconnects(t, ends, since, timeoutMs, what) {
  const all = await withTimeout(Promise.all(ends), timeoutMs, what);
  assert.deepEqual(all.map((e) => e.reason), all.map(() => 'io server disconnect'), what);
  t.diagnostic(`${what}: after ${all.map((e) => e.at - since).join(', ')} ms`);
}

/**
 * Emits `event` with `payload` (no argument when undefined) and an ack; resolves
 * the ack's first argument, rejects after `timeoutMs`.
 */
export async function emitAck(socket, event, payload, timeoutMs = 3000) {
  const args = payload === undefined ? [] : [payload];
  try {
    return await socket.timeout(timeoutMs).emitWithAck(event, ...args);
  } catch (err) {
    throw new Error(`no ack for ${event} ${JSON.stringify(payload)} within ${timeoutMs} ms (${err.message})`);
  }
}

/**
 * Stops reportd with SIGTERM and checks that it exits by itself with code 0 (a graceful
 * shutdown). `when` says what it went through, for the message.
 */
export async function stopCleanly(srv, when = '') {
  const { code, signal } = await srv.stop();
  assert.equal(signal, null, `reportd must exit by itself after SIGTERM${when}`);
  assert.equal(code, 0, `reportd must exit with code 0 after SIGTERM${when}`);
}

/**
 * Checks a successful join_report ack: {ok: true, room, viewers} where viewers (presence, an
 * extension of the spec) is [{id, username}] by id, with `self` (a user id) among them when given.
 * Resolves the viewers.
 */
export function checkJoinAck(ack, reportId, self) {
  const { viewers, ...rest } = ack ?? {};
  assert.deepEqual(rest, { ok: true, room: `report:${reportId}` }, `join_report ${reportId}: ${JSON.stringify(ack)}`);
  assert.ok(Array.isArray(viewers), `viewers in ${JSON.stringify(ack)}`);
  for (const v of viewers) assert.deepEqual(Object.keys(v).sort(), ['id', 'username'], JSON.stringify(v));
  const ids = viewers.map((v) => v.id);
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'viewers by id');
  if (self !== undefined) assert.ok(ids.includes(self), `the joiner ${self} among ${JSON.stringify(viewers)}`);
  return viewers;
}

/**
 * Records every `event` received by `socket`. Returns { items, waitForCount(n, timeoutMs), stop() };
 * waitForCount resolves a copy of the items once at least n have come.
 */
export function collectEvents(socket, event) {
  const items = [];
  const waiters = new Set();
  const handler = (payload) => {
    items.push(payload);
    for (const w of [...waiters]) if (items.length >= w.n) w.done();
  };
  socket.on(event, handler);
  return {
    items,
    waitForCount(n, timeoutMs = 5000) {
      if (items.length >= n) return Promise.resolve(items.slice());
      return new Promise((resolve, reject) => {
        const w = {
          n,
          done: () => {
            clearTimeout(timer);
            waiters.delete(w);
            resolve(items.slice());
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`only ${items.length} of ${n} '${event}' events within ${timeoutMs} ms: ${JSON.stringify(items).slice(0, 500)}`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    stop() {
      socket.off(event, handler);
    },
  };
}

function b64url(data) {
  return Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64url');
}

/**
 * A JWT signed by hand: HS256 with `secret`, or unsigned with alg "none"
 * (then `secret` is ignored and the signature part is empty).
 */
export function signJwt(claims, secret, { alg = 'HS256', header = {} } = {}) {
  const head = b64url({ alg, typ: 'JWT', ...header });
  const body = b64url(claims);
  if (alg === 'none') return `${head}.${body}.`;
  const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}

/** The claims of a JWT (not verified). */
export function decodeJwt(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

const romeFormat = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Rome',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'longOffset',
});

/**
 * The instant `t` (ms since the epoch, or a parseable string) as Rome local time
 * with milliseconds and offset, e.g. 2026-11-26T03:04:05.123+01:00 (from ICU's
 * tz data, independent of the server).
 */
export function romeIso(t) {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  if (!Number.isFinite(ms)) throw new Error(`not a time: ${t}`);
  const p = Object.fromEntries(romeFormat.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName.replace(/^GMT/, '');
  const millis = String(((ms % 1000) + 1000) % 1000).padStart(3, '0');
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${millis}${offset}`;
}
