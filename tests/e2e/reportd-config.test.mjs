// reportd's configuration end to end: a config file below the environment below the flags, seen
// in `reportd config` and in what the server does (the port it listens on, the Engine.IO
// handshake's pingInterval, pingTimeout and maxPayload, the Socket.IO path, the transports);
// refusals at start that name the setting; secrets masked in `reportd config`.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canConnect, freePort, repoRoot, startServer } from './lib/server.mjs';
import { SanitizerLogs } from './lib/sanitizer.mjs';
import { openWsSession, parseErrorBody, parseOpenPacket, request } from './lib/eio.mjs';
import { randomSecret, reportdBin, stopCleanly } from './lib/reportd.mjs';

const T = { timeout: 20000 };

let dir;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reportd-config-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeFile(name, text) {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** The reportd CLI with exactly `env` (plus PATH): { status, stdout, stderr }. */
function run(args, env = {}) {
  const sanitizerLogs = new SanitizerLogs(`reportd ${args.join(' ')}`);
  const r = spawnSync(reportdBin, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, ...sanitizerLogs.env, DATABASE_URL: `sqlite:${path.join(dir, 'cli.db')}`, ...env },
    encoding: 'utf8',
    timeout: 10000,
  });
  if (r.error) throw new Error(`cannot run ${reportdBin}: ${r.error.message} (build it first, or set REPORTD_BIN)`);
  sanitizerLogs.check({ code: r.status });
  sanitizerLogs.dispose();
  return r;
}

/** `reportd config`'s line for a setting: { value, source }. */
function settingLine(stdout, name) {
  const m = new RegExp(`^${name} = (.*?)  # (\\w+) \\(`, 'm').exec(stdout);
  assert.ok(m, `no line for ${name} in:\n${stdout}`);
  return { value: m[1], source: m[2] };
}

function assertRefused(r, ...words) {
  assert.notEqual(r.status, 0, `refused: ${r.stdout}${r.stderr}`);
  for (const word of words) assert.ok(r.stderr.includes(word), `"${word}" in the message: ${r.stderr}`);
}

describe('precedence: file < environment < flags', () => {
  test('reportd config shows each value and where it came from', T, () => {
    const file = writeFile('precedence.toml', [
      '# settings for the test',
      'port = 3101',
      'ping-interval-ms = 1111',
      'ping_timeout_ms = 1222', // the underscore form of a key
      'max-http-buffer-size = 50000',
    ].join('\n'));
    const r = run(['config', '--ping-timeout-ms', '1444'], {
      REPORTD_CONFIG: file,
      PING_INTERVAL_MS: '1333',
      PING_TIMEOUT_MS: '1333',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`# config file: ${file}\n`), r.stdout);
    assert.deepEqual(settingLine(r.stdout, 'port'), { value: '3101', source: 'file' });
    assert.deepEqual(settingLine(r.stdout, 'ping-interval-ms'), { value: '1333', source: 'environment' });
    assert.deepEqual(settingLine(r.stdout, 'ping-timeout-ms'), { value: '1444', source: 'flag' });
    assert.deepEqual(settingLine(r.stdout, 'max-http-buffer-size'), { value: '50000', source: 'file' });
    assert.deepEqual(settingLine(r.stdout, 'upgrade-timeout-ms'), { value: '10000', source: 'default' });
    assert.deepEqual(settingLine(r.stdout, 'transports'), { value: '"polling,websocket"', source: 'default' });
  });

  test('the server listens and shakes hands as the three sources say', T, async () => {
    const filePort = await freePort();
    const file = writeFile('serve.toml', [
      `port = ${filePort}`,
      'ping-interval-ms = 1111',
      'ping-timeout-ms = 1222',
      'max-http-buffer-size = 50000',
      'socketio-path = "/realtime"',
    ].join('\n'));
    // startServer gives PORT in the environment: it beats the file's port.
    const srv = await startServer({
      bin: reportdBin,
      binEnv: 'REPORTD_BIN',
      args: ['serve', '--config', file, '--ping-timeout-ms', '1444'],
      env: {
        DATABASE_URL: `sqlite:${path.join(dir, 'serve.db')}`,
        JWT_SECRET: randomSecret(),
        HOST: '127.0.0.1',
        PING_INTERVAL_MS: '1333',
        PING_TIMEOUT_MS: '1333',
      },
    });
    try {
      assert.equal(await canConnect(filePort, 200), false, 'nothing listens on the port of the file');
      const r = await request(`${srv.url}/realtime/?EIO=4&transport=polling`);
      assert.equal(r.status, 200, r.body);
      const open = parseOpenPacket(r.body);
      assert.equal(open.pingInterval, 1333, 'the environment beats the file');
      assert.equal(open.pingTimeout, 1444, 'a flag beats the environment');
      assert.equal(open.maxPayload, 50000, 'the file beats the default');
      assert.deepEqual(open.upgrades, ['websocket']);
      const old = await request(`${srv.url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(old.status, 404, 'the default path is not served when another is set');
    } finally {
      await stopCleanly(srv);
    }
  });
});

describe('transports', () => {
  test('transports=websocket refuses a polling handshake as Node does; WebSocket works', T, async () => {
    const srv = await startServer({
      bin: reportdBin,
      binEnv: 'REPORTD_BIN',
      args: ['serve'],
      env: {
        DATABASE_URL: `sqlite:${path.join(dir, 'ws.db')}`,
        JWT_SECRET: randomSecret(),
        HOST: '127.0.0.1',
        TRANSPORTS: 'websocket',
      },
    });
    try {
      const r = await request(`${srv.url}/socket.io/?EIO=4&transport=polling`);
      assert.equal(r.status, 400);
      assert.deepEqual(parseErrorBody(r.body), { code: 0, message: 'Transport unknown' });
      const { client, open } = await openWsSession(srv.url, { path: '/socket.io/' });
      client.terminate();
      assert.deepEqual(open.upgrades, []);
    } finally {
      await stopCleanly(srv);
    }
  });
});

describe('refusals at start', () => {
  test('an unknown key in the file, naming the key and the file', T, () => {
    const file = writeFile('unknown.toml', 'port = 3000\npingInterval = 1000\n');
    assertRefused(run(['serve', '--config', file]), 'pingInterval', file);
  });

  test('a value out of range, from the file, the environment or a flag, naming the setting', T, () => {
    const file = writeFile('range.toml', 'ping-interval-ms = 5\n');
    assertRefused(run(['serve', '--config', file]), 'ping-interval-ms', file);
    assertRefused(run(['serve'], { PING_INTERVAL_MS: '5' }), 'ping-interval-ms');
    assertRefused(run(['serve', '--io-threads', '100000']), 'io-threads');
    assertRefused(run(['serve'], { TRANSPORTS: 'flashsocket' }), 'transports');
    assertRefused(run(['serve', '--config', writeFile('type.toml', 'port = "3k"\n')]), 'port');
  });

  test('PORT=70000 is refused, not wrapped', T, () => {
    assertRefused(run(['serve'], { PORT: '70000' }), '70000');
  });

  test('a missing config file', T, () => {
    assertRefused(run(['config'], { REPORTD_CONFIG: path.join(dir, 'missing.toml') }), 'missing.toml');
  });

  test('JWT_SECRET is never a flag nor a key of the file', T, () => {
    assert.notEqual(run(['config', '--jwt-secret', randomSecret()]).status, 0);
    const file = writeFile('secret.toml', `jwt-secret = "${randomSecret()}"\n`);
    assertRefused(run(['config', '--config', file]), 'jwt-secret');
  });
});

test('reportd config masks secrets', T, () => {
  const secret = randomSecret();
  const r = run(['config'], {
    DATABASE_URL: 'postgres://reportd:dbpass123@db.example:5432/reportd?sslmode=require',
    REDIS_URL: 'redis://:redispass456@cache.example:6379/0',
    JWT_SECRET: secret,
  });
  assert.equal(r.status, 0, r.stderr);
  for (const word of ['dbpass123', 'redispass456', secret]) assert.ok(!r.stdout.includes(word), `${word} masked:\n${r.stdout}`);
  assert.deepEqual(settingLine(r.stdout, 'database-url'), {
    value: '"postgres://reportd:***@db.example:5432/reportd?sslmode=require"',
    source: 'environment',
  });
  assert.deepEqual(settingLine(r.stdout, 'redis-url'), { value: '"redis://:***@cache.example:6379/0"', source: 'environment' });
  assert.match(r.stdout, /^# jwt-secret = "\*\*\*"/m);
});
