// The report service API of reportd, as a Node.js team would write it with the usual packages:
// node:http, socket.io 4 (default ws engine), jsonwebtoken, better-sqlite3 or pg, and for several
// nodes @socket.io/redis-adapter with the redis client. It is the baseline that bench/ measures
// reportd against, so it should be what a competent team ships: one process per node,
// straightforward code, no exotic tuning.
//
// Serve:  JWT_SECRET=... [PORT=3100] [JWT_TTL_SECONDS=3600]
//         [DATABASE_FILE=./bench-baseline.db | DATABASE_URL=postgres://user:pass@host:port/db]
//         [PG_POOL_MAX=10] [REDIS_URL=redis://127.0.0.1:6379 [REDIS_PREFIX=socket.io]]
//         [RECOVERY_SECONDS=0]
//         node bench/baseline-node/server.mjs
//         DATABASE_URL selects PostgreSQL (a pg.Pool of PG_POOL_MAX connections; the schema is
//         created when missing); otherwise SQLite in DATABASE_FILE. REDIS_URL adds the Redis
//         adapter, so that comments posted to one node reach the rooms' members on every node.
//         RECOVERY_SECONDS > 0 turns on Socket.IO's connection state recovery (kept in this
//         process's memory, Node's own) for disconnections up to that long; off by default, as
//         bench/run.py wants it only in its scenario (h).
// Seed:   node bench/baseline-node/server.mjs seed --users N [--internal | --citizen]
//         [--role R] [--prefix bench] --password P [--reports R]
//         creates users <prefix>0..<prefix>N-1 (skipping existing ones) and as many reports,
//         owned by <prefix>0, as it takes for the database to hold at least R, in the database
//         that serve would use (DATABASE_URL or DATABASE_FILE); then exits.

import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { parseArgs, promisify } from 'node:util';
import { createAdapter } from '@socket.io/redis-adapter';
import Database from 'better-sqlite3';
import jwt from 'jsonwebtoken';
import pg from 'pg';
import { createClient } from 'redis';
import { Server } from 'socket.io';

const scrypt = promisify(scryptCallback);

const ISSUER = 'reportd';
const LIVE_NAMESPACE = '/ws/internal';
const MAX_BODY_BYTES = 64 * 1024;
const LIMITS = { comment: 2000, title: 200, description: 5000, category: 100 };

// ---------------------------------------------------------------------------------------------
// Storage: SQLite (better-sqlite3, the default) or PostgreSQL (pg, when DATABASE_URL is set), behind
// one small async interface:
//
//   findUser(id), findUserByName(username)  -> { id, username, password_hash, role, internal,
//                                               active } (booleans) or undefined
//   reportExists(id)                        -> boolean
//   createReport(input)                     -> the stored report row
//   createComment(reportId, ownerId, text, createdAt) -> the new id, or null if no such report
//   seed({ prefix, count, passwordHash, role, internal, reports })
//                                           -> { usersCreated, reportsCreated, reportsTotal }
//   close()
//
// Timestamps are UTC; the SQLite store keeps them as ISO 8601 text, PostgreSQL as timestamptz.

const SQLITE_SCHEMA = `
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

const POSTGRES_SCHEMA = `
CREATE TABLE IF NOT EXISTS users (
  id            BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      TEXT        NOT NULL UNIQUE,
  password_hash TEXT        NOT NULL,
  role          TEXT        NOT NULL,
  internal      BOOLEAN     NOT NULL,
  active        BOOLEAN     NOT NULL DEFAULT TRUE,
  created_at    TIMESTAMPTZ NOT NULL,
  CHECK (NOT (role = 'citizen' AND internal))
);

CREATE TABLE IF NOT EXISTS reports (
  id          BIGINT           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_id    BIGINT           NOT NULL REFERENCES users(id),
  title       TEXT             NOT NULL,
  description TEXT             NOT NULL,
  category    TEXT,
  latitude    DOUBLE PRECISION,
  longitude   DOUBLE PRECISION,
  status      TEXT             NOT NULL DEFAULT 'open'
              CHECK (status IN ('open', 'in_progress', 'resolved', 'rejected')),
  created_at  TIMESTAMPTZ      NOT NULL,
  updated_at  TIMESTAMPTZ      NOT NULL
);
CREATE INDEX IF NOT EXISTS reports_owner_id_id ON reports(owner_id, id);

CREATE TABLE IF NOT EXISTS comments (
  id         BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  report_id  BIGINT      NOT NULL REFERENCES reports(id),
  owner_id   BIGINT      NOT NULL REFERENCES users(id),
  text       TEXT        NOT NULL,
  created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS comments_report_id_id ON comments(report_id, id);
`;

/** DATABASE_URL (postgres:// or postgresql://) selects PostgreSQL; otherwise DATABASE_FILE. */
function openStore() {
  const url = process.env.DATABASE_URL;
  if (url) {
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL (or unset for SQLite)');
    }
    return openPostgres(url);
  }
  return Promise.resolve(openSqlite(process.env.DATABASE_FILE || './bench-baseline.db'));
}

function sqliteUser(row) {
  return row && { ...row, internal: row.internal === 1, active: row.active === 1 };
}

function openSqlite(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec(SQLITE_SCHEMA);

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

  const insertReport = (report) => {
    const row = { ...report, created_at: nowIso() };
    const { lastInsertRowid } = statements.insertReport.run(row);
    return { ...row, id: Number(lastInsertRowid), status: 'open', updated_at: row.created_at };
  };

  const createComment = db.transaction((reportId, ownerId, text, createdAt) => {
    if (!statements.reportExists.get(reportId)) return null;
    const { lastInsertRowid } = statements.insertComment.run(reportId, ownerId, text, createdAt);
    return Number(lastInsertRowid);
  });

  const seed = db.transaction(({ prefix, count, passwordHash, role, internal, reports }) => {
    let usersCreated = 0;
    for (let i = 0; i < count; i++) {
      const username = `${prefix}${i}`;
      if (statements.userByName.get(username)) continue;
      statements.insertUser.run(username, passwordHash, role, internal ? 1 : 0, nowIso());
      usersCreated++;
    }
    const owner = statements.userByName.get(`${prefix}0`);
    let reportsCreated = 0;
    for (let n = statements.countReports.get(); n < reports; n++) {
      insertReport({
        owner_id: owner.id,
        title: `Benchmark report ${n + 1}`,
        description: 'Created by the benchmark seed.',
        category: null,
        latitude: null,
        longitude: null,
      });
      reportsCreated++;
    }
    return { usersCreated, reportsCreated, reportsTotal: statements.countReports.get() };
  });

  return {
    findUser: async (id) => sqliteUser(statements.userById.get(id)),
    findUserByName: async (username) => sqliteUser(statements.userByName.get(username)),
    reportExists: async (id) => statements.reportExists.get(id) !== undefined,
    createReport: async (report) => insertReport(report),
    createComment: async (reportId, ownerId, text, createdAt) =>
      createComment(reportId, ownerId, text, createdAt),
    seed: async (options) => seed(options),
    close: async () => db.close(),
  };
}

// BIGINT ids arrive from pg as strings; every id here is far below 2^53.
function postgresUser(row) {
  return row && { ...row, id: Number(row.id) };
}

async function openPostgres(connectionString) {
  const pool = new pg.Pool({ connectionString, max: Number(process.env.PG_POOL_MAX || 10) });
  // An idle client that loses its connection emits here; the pool replaces it on next use.
  pool.on('error', (err) => console.error(`database_idle_client_error error=${err.message}`));

  /** Runs fn(client) in one transaction on one pooled connection. */
  async function transaction(fn) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  // Several nodes may start at once against one database: one creates the schema at a time.
  await transaction(async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(7420710)');
    await client.query(POSTGRES_SCHEMA);
  });

  // Named queries are prepared once per pooled connection.
  const q = {
    userById: 'SELECT id, username, password_hash, role, internal, active FROM users WHERE id = $1',
    userByName:
      'SELECT id, username, password_hash, role, internal, active FROM users WHERE username = $1',
    reportExists: 'SELECT 1 FROM reports WHERE id = $1',
    insertReport: `INSERT INTO reports (owner_id, title, description, category, latitude, longitude,
                                        status, created_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $7) RETURNING id`,
    // The report check and the insert in one statement, so one round trip and no transaction.
    insertComment: `INSERT INTO comments (report_id, owner_id, text, created_at)
                    SELECT $1::bigint, $2::bigint, $3::text, $4::timestamptz
                    WHERE EXISTS (SELECT 1 FROM reports WHERE id = $1::bigint)
                    RETURNING id`,
  };
  const run = (name, values, client = pool) => client.query({ name, text: q[name], values });

  return {
    async findUser(id) {
      return postgresUser((await run('userById', [id])).rows[0]);
    },
    async findUserByName(username) {
      return postgresUser((await run('userByName', [username])).rows[0]);
    },
    async reportExists(id) {
      return (await run('reportExists', [id])).rowCount > 0;
    },
    async createReport(report) {
      const createdAt = nowIso();
      const { rows } = await run('insertReport', [
        report.owner_id, report.title, report.description, report.category,
        report.latitude, report.longitude, createdAt,
      ]);
      return { ...report, id: Number(rows[0].id), status: 'open', created_at: createdAt, updated_at: createdAt };
    },
    async createComment(reportId, ownerId, text, createdAt) {
      const { rows } = await run('insertComment', [reportId, ownerId, text, createdAt]);
      return rows.length ? Number(rows[0].id) : null;
    },
    seed: ({ prefix, count, passwordHash, role, internal, reports }) =>
      transaction(async (client) => {
        let usersCreated = 0;
        for (let i = 0; i < count; i++) {
          const username = `${prefix}${i}`;
          if ((await run('userByName', [username], client)).rowCount) continue;
          await client.query(
            `INSERT INTO users (username, password_hash, role, internal, active, created_at)
             VALUES ($1, $2, $3, $4, TRUE, $5)`,
            [username, passwordHash, role, internal, nowIso()],
          );
          usersCreated++;
        }
        const owner = (await run('userByName', [`${prefix}0`], client)).rows[0];
        const countReports = async () =>
          (await client.query('SELECT count(*)::int AS n FROM reports')).rows[0].n;
        const before = await countReports();
        if (before < reports) {
          const createdAt = nowIso();
          await client.query(
            `INSERT INTO reports (owner_id, title, description, status, created_at, updated_at)
             SELECT $1, 'Benchmark report ' || n, 'Created by the benchmark seed.', 'open', $2, $2
             FROM generate_series($3::int, $4::int) AS n`,
            [owner.id, createdAt, before + 1, reports],
          );
        }
        return { usersCreated, reportsCreated: Math.max(0, reports - before), reportsTotal: await countReports() };
      }),
    close: () => pool.end(),
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

const userJson = (u) => ({ id: u.id, username: u.username, role: u.role, internal: u.internal });

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

function createApp({ store, secret, ttlSeconds, adapter, recoverySeconds = 0 }) {
  const verifyOptions = { algorithms: ['HS256'], issuer: ISSUER, clockTolerance: 30 };
  // A missing user still costs a password verification, so timing does not reveal which exist.
  const decoyHash = hashPassword(randomBytes(16).toString('hex'));

  /** The active user a token belongs to, or throws ApiError 401. */
  async function authenticate(token) {
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
    const user = id === null ? undefined : await store.findUser(id);
    if (!user || !user.active) throw unauthorized('unknown or inactive user');
    return { user, expiresAt: claims.exp };
  }

  async function login(body) {
    const username = requiredString(body, 'username');
    const password = requiredString(body, 'password');
    const user = await store.findUserByName(username);
    const valid = await verifyPassword(password, user ? user.password_hash : await decoyHash);
    if (!user || !valid || !user.active) throw unauthorized('invalid username or password');
    const token = jwt.sign(
      { sub: String(user.id), role: user.role, internal: user.internal },
      secret,
      { algorithm: 'HS256', expiresIn: ttlSeconds, issuer: ISSUER },
    );
    return { token, user: userJson(user) };
  }

  async function createReport(user, body) {
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
    return reportJson(await store.createReport(input));
  }

  async function createComment(user, reportId, body) {
    const text = requiredString(body, 'comment');
    requireText('comment', text, LIMITS.comment);
    const createdAt = nowIso();
    const id = await store.createComment(reportId, user.id, text, createdAt);
    if (id === null) throw reportNotFound();
    const comment = {
      id,
      comment: text,
      commentOwner_id: user.id,
      creation_date: createdAt,
      report_id: reportId,
    };
    // Committed: now everyone following the report hears of it. A broadcast of the namespace
    // (io.of(...).to(room)), so that with RECOVERY_SECONDS it carries its offset.
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
    const { user } = await authenticate(bearerToken(req.headers.authorization));
    if (segments.length === 2) {
      if (method !== 'POST') throw methodNotAllowed('POST');
      return [201, await createReport(user, await readJson(req))];
    }
    const reportId = positiveId(segments[2]);
    if (reportId === null) throw reportNotFound();
    if (segments.length === 3) throw notFound(); // GET/PATCH of one report: not in the baseline
    if (method !== 'POST') throw methodNotAllowed('POST');
    if (!user.internal) throw forbidden();
    return [201, await createComment(user, reportId, await readJson(req))];
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

  // With REDIS_URL, the @socket.io/redis-adapter: an emit reaches the room on every node.
  // With recoverySeconds > 0, connection state recovery: broadcasts through io.of(...).to(room)
  // carry an offset, and a client that comes back in time gets its id, rooms and what it missed.
  const io = new Server(httpServer, {
    serveClient: false,
    ...(adapter && { adapter }),
    ...(recoverySeconds > 0 && {
      connectionStateRecovery: { maxDisconnectionDuration: recoverySeconds * 1000 },
    }),
  });
  const live = io.of(LIVE_NAMESPACE);

  const refusal = (message, code) => Object.assign(new Error(message), { data: { code } });

  live.use(async (socket, next) => {
    const fromAuth = socket.handshake.auth?.token;
    const token =
      typeof fromAuth === 'string' ? fromAuth : bearerToken(socket.handshake.headers.authorization);
    let session;
    try {
      session = await authenticate(token);
    } catch (err) {
      if (err instanceof ApiError) return next(refusal('unauthorized', 401));
      console.error(`live_auth_failed error=${err?.stack ?? err}`);
      return next(refusal('unavailable', 503));
    }
    if (!session.user.internal) return next(refusal('forbidden', 403));
    socket.data.user = session.user;
    socket.data.expiresAt = session.expiresAt;
    next();
  });

  const ackFailure = (code, message) => ({ ok: false, error: { code, message } });

  async function follow(socket, join, args) {
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
        exists = await store.reportExists(reportId);
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

  const store = await openStore();
  try {
    // Every user of one seed run has the same password, so one (deliberately slow) hash serves
    // them all; each login still pays a full verification.
    const passwordHash = await hashPassword(values.password);
    const { usersCreated, reportsCreated, reportsTotal } = await store.seed({
      prefix: values.prefix,
      count,
      passwordHash,
      role,
      internal,
      reports,
    });
    console.log(
      `seeded users_created=${usersCreated} users_existing=${count - usersCreated} ` +
        `reports_created=${reportsCreated} reports_total=${reportsTotal}`,
    );
  } finally {
    await store.close();
  }
}

/** The Redis adapter of REDIS_URL (channel prefix REDIS_PREFIX), with its two connections. */
async function openRedisAdapter(url, key) {
  const pubClient = createClient({ url });
  const subClient = pubClient.duplicate();
  // Without a listener an 'error' would end the process; the clients reconnect by themselves.
  pubClient.on('error', (err) => console.error(`redis_error client=pub error=${err.message}`));
  subClient.on('error', (err) => console.error(`redis_error client=sub error=${err.message}`));
  await Promise.all([pubClient.connect(), subClient.connect()]);
  return {
    adapter: createAdapter(pubClient, subClient, { key }),
    close: () => Promise.allSettled([pubClient.quit(), subClient.quit()]),
  };
}

async function serve() {
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
  const recoverySeconds = Number(process.env.RECOVERY_SECONDS || 0);
  if (!Number.isInteger(recoverySeconds) || recoverySeconds < 0) {
    console.error('RECOVERY_SECONDS must be an integer >= 0');
    process.exit(2);
  }
  const store = await openStore();
  const redis = process.env.REDIS_URL
    ? await openRedisAdapter(process.env.REDIS_URL, process.env.REDIS_PREFIX || 'socket.io')
    : null;
  const { httpServer, io } = createApp({
    store,
    secret,
    ttlSeconds,
    adapter: redis?.adapter,
    recoverySeconds,
  });

  httpServer.listen(port, () => {
    console.log(`listening port=${httpServer.address().port}`);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    // io.close() disconnects every socket and closes the HTTP server, which lets requests in
    // progress finish; idle keep-alive connections are closed by Node.
    io.close(async () => {
      await redis?.close();
      await store.close();
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
  serve().catch((err) => {
    console.error(`serve failed: ${err.message}`);
    process.exit(1);
  });
} else {
  console.error(`unknown command ${command}; use serve (default) or seed`);
  process.exit(2);
}
