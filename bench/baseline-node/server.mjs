// The report service API of reportd, as a Node.js team would write it with the usual packages:
// node:http, socket.io 4 (default ws engine), jsonwebtoken and better-sqlite3. It is the baseline
// that bench/ measures reportd against, so it should be what a competent team ships: one
// process, straightforward code, no exotic tuning.
//
// Serve:  JWT_SECRET=... [PORT=3100] [DATABASE_FILE=./bench-baseline.db] [JWT_TTL_SECONDS=3600]
//         node bench/baseline-node/server.mjs
// Seed:   node bench/baseline-node/server.mjs seed --users N [--internal | --citizen]
//         [--role R] [--prefix bench] --password P [--reports R]
//         creates users <prefix>0..<prefix>N-1 (skipping existing ones) and as many reports,
//         owned by <prefix>0, as it takes for the database to hold at least R; then exits.

import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { parseArgs, promisify } from 'node:util';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import { Server } from 'socket.io';

const scrypt = promisify(scryptCallback);

const ISSUER = 'reportd';
const LIVE_NAMESPACE = '/ws/internal';
const MAX_BODY_BYTES = 64 * 1024;
const LIMITS = { comment: 2000, title: 200, description: 5000, category: 100 };

// ---------------------------------------------------------------------------------------------
// Storage

const SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id            INTEGER PRIMARY KEY,
  username      TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  role          TEXT    NOT NULL,
  internal      INTEGER NOT NULL CHECK (internal IN (0, 1)),
  active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
  created_at    TEXT    NOT NULL,
  CHECK (NOT (role = 'citizen' AND internal = 1))
) STRICT;

CREATE TABLE IF NOT EXISTS reports (
  id          INTEGER PRIMARY KEY,
  owner_id    INTEGER NOT NULL REFERENCES users(id),
  title       TEXT    NOT NULL,
  description TEXT    NOT NULL,
  category    TEXT,
  latitude    REAL,
  longitude   REAL,
  status      TEXT    NOT NULL DEFAULT 'open'
              CHECK (status IN ('open', 'in_progress', 'resolved', 'rejected')),
  created_at  TEXT    NOT NULL,
  updated_at  TEXT    NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS reports_owner_id_id ON reports(owner_id, id);

CREATE TABLE IF NOT EXISTS comments (
  id         INTEGER PRIMARY KEY,
  report_id  INTEGER NOT NULL REFERENCES reports(id),
  owner_id   INTEGER NOT NULL REFERENCES users(id),
  text       TEXT    NOT NULL,
  created_at TEXT    NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS comments_report_id_id ON comments(report_id, id);
`;

function openDatabase(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const statements = {
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    insertUser: db.prepare(
      `INSERT INTO users (username, password_hash, role, internal, active, created_at)
       VALUES (?, ?, ?, ?, 1, ?)`,
    ),
    reportExists: db.prepare('SELECT 1 FROM reports WHERE id = ?').pluck(),
    countReports: db.prepare('SELECT count(*) FROM reports').pluck(),
    insertReport: db.prepare(
      `INSERT INTO reports (owner_id, title, description, category, latitude, longitude,
                            status, created_at, updated_at)
       VALUES (@owner_id, @title, @description, @category, @latitude, @longitude,
               'open', @created_at, @created_at)`,
    ),
    insertComment: db.prepare(
      'INSERT INTO comments (report_id, owner_id, text, created_at) VALUES (?, ?, ?, ?)',
    ),
  };

  const createComment = db.transaction((reportId, ownerId, text, createdAt) => {
    if (!statements.reportExists.get(reportId)) return null;
    const { lastInsertRowid } = statements.insertComment.run(reportId, ownerId, text, createdAt);
    return Number(lastInsertRowid);
  });

  return {
    db,
    findUser: (id) => statements.userById.get(id),
    findUserByName: (username) => statements.userByName.get(username),
    addUser: ({ username, passwordHash, role, internal }) =>
      Number(
        statements.insertUser.run(username, passwordHash, role, internal ? 1 : 0, nowIso())
          .lastInsertRowid,
      ),
    reportExists: (id) => statements.reportExists.get(id) !== undefined,
    countReports: () => statements.countReports.get(),
    createReport(report) {
      const row = { ...report, created_at: nowIso() };
      const { lastInsertRowid } = statements.insertReport.run(row);
      return { ...row, id: Number(lastInsertRowid), status: 'open', updated_at: row.created_at };
    },
    createComment,
    close: () => db.close(),
  };
}

/** UTC, ISO 8601 with milliseconds and Z, as stored. */
function nowIso() {
  return new Date().toISOString();
}

// ---------------------------------------------------------------------------------------------
// Passwords: scrypt$N$salt$hash (r = 8, p = 1; salt and hash in base64). N = 2^14 is Node's
// default; one hash takes about as long as reportd's argon2id "interactive" verification.

const SCRYPT_N = 1 << 14;
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SCRYPT_KEYLEN = 32;

function scryptOptions(N) {
  return { N, r: SCRYPT_R, p: SCRYPT_P, maxmem: 256 * SCRYPT_R * N + 1024 * 1024 };
}

async function hashPassword(password) {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, SCRYPT_KEYLEN, scryptOptions(SCRYPT_N));
  return `scrypt$${SCRYPT_N}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

async function verifyPassword(password, stored) {
  const [scheme, n, salt, hash] = String(stored).split('$');
  const N = Number(n);
  if (scheme !== 'scrypt' || !Number.isInteger(N) || N < 2 || N > 1 << 20 || !salt || !hash) {
    return false;
  }
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, scryptOptions(N));
  return timingSafeEqual(actual, expected);
}

// ---------------------------------------------------------------------------------------------
// Errors and validation

class ApiError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const badRequest = (code, message) => new ApiError(400, code, message);
const unauthorized = (message) => new ApiError(401, 'unauthorized', message);
const forbidden = () => new ApiError(403, 'forbidden', 'internal users only');
const reportNotFound = () => new ApiError(404, 'report_not_found', 'no such report');
const notFound = () => new ApiError(404, 'not_found', 'no such resource');
const methodNotAllowed = (allow) =>
  new ApiError(405, 'method_not_allowed', 'method not allowed', { Allow: allow });

function requiredString(body, field) {
  const value = body[field];
  if (typeof value !== 'string') throw badRequest(`invalid_${field}`, `${field} must be a string`);
  return value;
}

function optionalString(body, field) {
  return body[field] == null ? null : requiredString(body, field);
}

function optionalNumber(body, field, bound) {
  const value = body[field];
  if (value == null) return null;
  if (typeof value !== 'number') throw badRequest(`invalid_${field}`, `${field} must be a number`);
  if (value < -bound || value > bound) {
    throw badRequest(`invalid_${field}`, `${field} must be within -${bound}..${bound}`);
  }
  return value;
}

/** Not blank (as String.prototype.trim sees it) and at most `max` characters (code points). */
function requireText(field, value, max) {
  if (value.trim() === '') throw badRequest(`empty_${field}`, `${field} must not be empty`);
  if ([...value].length > max) {
    throw badRequest(`${field}_too_long`, `${field} is longer than ${max} characters`);
  }
}

function positiveId(text) {
  return /^[0-9]+$/.test(text) && Number.isSafeInteger(Number(text)) && Number(text) > 0
    ? Number(text)
    : null;
}

function bearerToken(header) {
  const match = /^bearer +(.+)$/i.exec(header ?? '');
  return match ? match[1].trim() : '';
}

// ---------------------------------------------------------------------------------------------
// Representations

const userJson = (u) => ({ id: u.id, username: u.username, role: u.role, internal: u.internal === 1 });

const reportJson = (r) => ({
  id: r.id,
  owner_id: r.owner_id,
  title: r.title,
  description: r.description,
  status: r.status,
  created_at: r.created_at,
  updated_at: r.updated_at,
  category: r.category,
  latitude: r.latitude,
  longitude: r.longitude,
});

// ---------------------------------------------------------------------------------------------
// The service

function createApp({ store, secret, ttlSeconds }) {
  const verifyOptions = { algorithms: ['HS256'], issuer: ISSUER, clockTolerance: 30 };
  // A missing user still costs a password verification, so timing does not reveal which exist.
  const decoyHash = hashPassword(randomBytes(16).toString('hex'));

  /** The active user a token belongs to, or throws ApiError 401. */
  function authenticate(token) {
    if (!token) throw unauthorized('missing bearer token');
    let claims;
    try {
      claims = jwt.verify(token, secret, verifyOptions);
    } catch (err) {
      throw unauthorized(`invalid token: ${err.message}`);
    }
    if (typeof claims.exp !== 'number') throw unauthorized('invalid token: token has no "exp"');
    // "sub" is a decimal string (as issued) or, from other issuers, a JSON integer.
    const sub = claims.sub;
    const id = typeof sub === 'string' || typeof sub === 'number' ? positiveId(String(sub)) : null;
    const user = id === null ? undefined : store.findUser(id);
    if (!user || user.active !== 1) throw unauthorized('unknown or inactive user');
    return { user, expiresAt: claims.exp };
  }

  async function login(body) {
    const username = requiredString(body, 'username');
    const password = requiredString(body, 'password');
    const user = store.findUserByName(username);
    const valid = await verifyPassword(password, user ? user.password_hash : await decoyHash);
    if (!user || !valid || user.active !== 1) throw unauthorized('invalid username or password');
    const token = jwt.sign(
      { sub: String(user.id), role: user.role, internal: user.internal === 1 },
      secret,
      { algorithm: 'HS256', expiresIn: ttlSeconds, issuer: ISSUER },
    );
    return { token, user: userJson(user) };
  }

  function createReport(user, body) {
    const input = {
      owner_id: user.id,
      title: requiredString(body, 'title'),
      description: requiredString(body, 'description'),
      category: optionalString(body, 'category'),
      latitude: optionalNumber(body, 'latitude', 90),
      longitude: optionalNumber(body, 'longitude', 180),
    };
    requireText('title', input.title, LIMITS.title);
    requireText('description', input.description, LIMITS.description);
    if (input.category !== null) requireText('category', input.category, LIMITS.category);
    return reportJson(store.createReport(input));
  }

  function createComment(user, reportId, body) {
    const text = requiredString(body, 'comment');
    requireText('comment', text, LIMITS.comment);
    const createdAt = nowIso();
    const id = store.createComment(reportId, user.id, text, createdAt);
    if (id === null) throw reportNotFound();
    const comment = {
      id,
      comment: text,
      commentOwner_id: user.id,
      creation_date: createdAt,
      report_id: reportId,
    };
    // Committed: now everyone following the report hears of it.
    live.to(`report:${reportId}`).emit('comment.created', comment);
    return comment;
  }

  // --- HTTP ---

  function readJson(req) {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return Promise.reject(
        new ApiError(415, 'unsupported_media_type', 'the body must be application/json'),
      );
    }
    const tooLarge = () =>
      new ApiError(413, 'payload_too_large', `the body is over ${MAX_BODY_BYTES} bytes`, {
        Connection: 'close',
      });
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      req.resume();
      return Promise.reject(tooLarge());
    }
    return new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on('data', (chunk) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          // Answer now; the rest of the body is discarded and the connection closed.
          reject(tooLarge());
          chunks.length = 0;
          return;
        }
        chunks.push(chunk);
      });
      req.on('error', reject);
      req.on('end', () => {
        if (size > MAX_BODY_BYTES) return;
        let body;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          reject(badRequest('malformed_json', 'the body is not valid JSON'));
          return;
        }
        if (body === null || typeof body !== 'object' || Array.isArray(body)) {
          reject(badRequest('invalid_body', 'the body must be a JSON object'));
          return;
        }
        resolve(body);
      });
    });
  }

  async function route(req) {
    const { pathname } = new URL(req.url, 'http://localhost');
    const method = req.method;
    if (pathname === '/healthz') return [200, { status: 'ok' }];

    const segments = pathname.split('/').filter(Boolean);
    if (segments[0] !== 'api' || segments.length < 2) throw notFound();

    if (segments.length === 3 && segments[1] === 'auth' && segments[2] === 'login') {
      if (method !== 'POST') throw methodNotAllowed('POST');
      return [200, await login(await readJson(req))];
    }
    if (segments[1] !== 'reports' || segments.length > 4) throw notFound();
    if (segments.length === 4 && segments[3] !== 'comments') throw notFound();

    // As in reportd: who you are is settled before anything about the report.
    const { user } = authenticate(bearerToken(req.headers.authorization));
    if (segments.length === 2) {
      if (method !== 'POST') throw methodNotAllowed('POST');
      return [201, createReport(user, await readJson(req))];
    }
    const reportId = positiveId(segments[2]);
    if (reportId === null) throw reportNotFound();
    if (segments.length === 3) throw notFound(); // GET/PATCH of one report: not in the baseline
    if (method !== 'POST') throw methodNotAllowed('POST');
    if (user.internal !== 1) throw forbidden();
    return [201, createComment(user, reportId, await readJson(req))];
  }

  function send(res, status, body, headers = {}) {
    const json = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(json),
      ...headers,
    });
    res.end(json);
  }

  async function handle(req, res) {
    try {
      const [status, body] = await route(req);
      send(res, status, body);
    } catch (err) {
      if (err instanceof ApiError) {
        send(res, err.status, { error: { code: err.code, message: err.message } }, err.headers);
      } else {
        console.error(`request_failed method=${req.method} url=${req.url} error=${err?.stack ?? err}`);
        send(res, 500, { error: { code: 'internal_error', message: 'internal error' } });
      }
    }
  }

  const httpServer = http.createServer((req, res) => {
    handle(req, res);
  });

  // --- Socket.IO: the live channel ---

  const io = new Server(httpServer, { serveClient: false });
  const live = io.of(LIVE_NAMESPACE);

  const refusal = (message, code) => Object.assign(new Error(message), { data: { code } });

  live.use((socket, next) => {
    const fromAuth = socket.handshake.auth?.token;
    const token =
      typeof fromAuth === 'string' ? fromAuth : bearerToken(socket.handshake.headers.authorization);
    let session;
    try {
      session = authenticate(token);
    } catch (err) {
      if (err instanceof ApiError) return next(refusal('unauthorized', 401));
      console.error(`live_auth_failed error=${err?.stack ?? err}`);
      return next(refusal('unavailable', 503));
    }
    if (session.user.internal !== 1) return next(refusal('forbidden', 403));
    socket.data.user = session.user;
    socket.data.expiresAt = session.expiresAt;
    next();
  });

  const ackFailure = (code, message) => ({ ok: false, error: { code, message } });

  function follow(socket, join, args) {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : () => {};
    const reportId = args[0]?.reportId;
    if (!Number.isSafeInteger(reportId) || reportId <= 0) {
      ack(ackFailure('invalid_report_id', 'reportId must be a positive integer'));
      return;
    }
    const room = `report:${reportId}`;
    if (join) {
      let exists;
      try {
        exists = store.reportExists(reportId);
      } catch (err) {
        console.error(`live_follow_failed socket=${socket.id} error=${err?.stack ?? err}`);
        ack(ackFailure('unavailable', 'try again later'));
        return;
      }
      if (!exists) {
        ack(ackFailure('report_not_found', 'no such report'));
        return;
      }
      socket.join(room);
    } else {
      socket.leave(room);
    }
    ack({ ok: true, room });
  }

  // setTimeout's longest delay (about 24.8 days); a token that lives longer is re-armed.
  const MAX_TIMER_MS = 2 ** 31 - 1;

  live.on('connection', (socket) => {
    // A token is only good until it expires, and so is the connection it opened.
    let expiry;
    const armExpiry = () => {
      const left = socket.data.expiresAt * 1000 - Date.now();
      if (left <= 0) {
        socket.disconnect(true);
        return;
      }
      expiry = setTimeout(armExpiry, Math.min(left, MAX_TIMER_MS));
    };
    armExpiry();
    socket.on('disconnect', () => clearTimeout(expiry));
    socket.on('join_report', (...args) => follow(socket, true, args));
    socket.on('leave_report', (...args) => follow(socket, false, args));
  });

  return { httpServer, io };
}

// ---------------------------------------------------------------------------------------------
// Commands

async function seed(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      users: { type: 'string', default: '1' },
      internal: { type: 'boolean', default: false },
      citizen: { type: 'boolean', default: false },
      role: { type: 'string' },
      prefix: { type: 'string', default: 'bench' },
      password: { type: 'string' },
      reports: { type: 'string', default: '0' },
    },
  });
  const count = Number(values.users);
  const reports = Number(values.reports);
  if (!Number.isInteger(count) || count < 1) throw new Error('--users must be a positive integer');
  if (!Number.isInteger(reports) || reports < 0) throw new Error('--reports must be >= 0');
  if (!values.password || values.password.length < 8) {
    throw new Error('--password must have at least 8 characters');
  }
  if (values.internal && values.citizen) throw new Error('--internal and --citizen exclude each other');
  const internal = values.internal;
  const role = values.role ?? (internal ? 'operator' : 'citizen');

  const store = openDatabase(process.env.DATABASE_FILE || './bench-baseline.db');
  try {
    // Every user of one seed run has the same password, so one (deliberately slow) hash serves
    // them all; each login still pays a full verification.
    const passwordHash = await hashPassword(values.password);
    let created = 0;
    const addMissing = store.db.transaction(() => {
      for (let i = 0; i < count; i++) {
        const username = `${values.prefix}${i}`;
        if (store.findUserByName(username)) continue;
        store.addUser({ username, passwordHash, role, internal });
        created++;
      }
    });
    addMissing();

    const owner = store.findUserByName(`${values.prefix}0`);
    let reportsCreated = 0;
    const addReports = store.db.transaction(() => {
      for (let n = store.countReports(); n < reports; n++) {
        store.createReport({
          owner_id: owner.id,
          title: `Benchmark report ${n + 1}`,
          description: 'Created by the benchmark seed.',
          category: null,
          latitude: null,
          longitude: null,
        });
        reportsCreated++;
      }
    });
    addReports();
    console.log(
      `seeded users_created=${created} users_existing=${count - created} ` +
        `reports_created=${reportsCreated} reports_total=${store.countReports()}`,
    );
  } finally {
    store.close();
  }
}

function serve() {
  const secret = process.env.JWT_SECRET ?? '';
  if (secret.length < 32) {
    console.error('JWT_SECRET must be set, with at least 32 characters');
    process.exit(2);
  }
  const ttlSeconds = Number(process.env.JWT_TTL_SECONDS ?? 3600);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
    console.error('JWT_TTL_SECONDS must be a positive integer');
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 3100);
  const store = openDatabase(process.env.DATABASE_FILE || './bench-baseline.db');
  const { httpServer, io } = createApp({ store, secret, ttlSeconds });

  httpServer.listen(port, () => {
    console.log(`listening port=${httpServer.address().port}`);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // io.close() disconnects every socket and closes the HTTP server, which lets requests in
    // progress finish; idle keep-alive connections are closed by Node.
    io.close(() => {
      store.close();
      process.exit(0);
    });
    setTimeout(() => {
      httpServer.closeAllConnections();
    }, 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'seed') {
  seed(rest).catch((err) => {
    console.error(`seed failed: ${err.message}`);
    process.exit(1);
  });
} else if (command === undefined || command === 'serve') {
  serve();
} else {
  console.error(`unknown command ${command}; use serve (default) or seed`);
  process.exit(2);
}
