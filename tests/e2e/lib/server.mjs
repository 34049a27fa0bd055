// Helpers to run the server binaries under test (engineio-echo by default,
// protocol-echo and socketio-test-server on request) and to wait for things
// with a bound on every wait.

import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SanitizerLogs } from './sanitizer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Repository root (tests/e2e/lib -> repo root). */
export const repoRoot = path.resolve(here, '..', '..', '..');

/** Absolute path of the echo server binary (env ECHO_BIN, relative to the repo root). */
export const echoBin = path.resolve(
  repoRoot,
  process.env.ECHO_BIN || 'build/examples/engineio-echo/engineio-echo',
);

/** Absolute path of the Socket.IO protocol-echo example (env PROTOCOL_ECHO_BIN, relative to the repo root). */
export const protocolEchoBin = path.resolve(
  repoRoot,
  process.env.PROTOCOL_ECHO_BIN || 'build/examples/protocol-echo/protocol-echo',
);

/** Absolute path of the Socket.IO test server (env SOCKETIO_TEST_SERVER_BIN, relative to the repo root). */
export const socketioTestServerBin = path.resolve(
  repoRoot,
  process.env.SOCKETIO_TEST_SERVER_BIN || 'build/tests/servers/socketio-test-server',
);

/** The environment variable that overrides `bin`, for error messages. */
function binVariable(bin) {
  if (bin === protocolEchoBin) return 'PROTOCOL_ECHO_BIN';
  if (bin === socketioTestServerBin) return 'SOCKETIO_TEST_SERVER_BIN';
  return 'ECHO_BIN';
}

// Configuration variables of the servers; never inherited from the
// environment of the test runner so that each test file controls them.
const SERVER_ENV_KEYS = [
  'PORT',
  'CORS_ORIGINS',
  'HTTP_HEADER_TIMEOUT_MS',
  'HTTP_IDLE_TIMEOUT_MS',
  'MAX_BUFFERED_BYTES',
  'CONNECT_TIMEOUT_MS',
  'PING_INTERVAL_MS',
  'PING_TIMEOUT_MS',
  // reportd
  'HOST',
  'DATABASE_URL',
  'JWT_SECRET',
  'JWT_PUBLIC_KEY',
  'JWT_ALGORITHMS',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_TTL_SECONDS',
  'IO_THREADS',
  'WORKER_THREADS',
  'REDIS_URL',
  'LOG_FORMAT',
  'LOG_LEVEL',
  'REPORTD_CONFIG',
  'MAX_HTTP_BUFFER_SIZE',
  'UPGRADE_TIMEOUT_MS',
  'TRANSPORTS',
  'SOCKETIO_PATH',
  'SHUTDOWN_GRACE_MS',
];

const MAX_LOG_CHARS = 256 * 1024;

/** Resolves after `ms` milliseconds. Only for waits that have no condition to await. */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Resolves the first truthy value of `read()` (which may be async), called again every 20 ms
 * until it gives one; rejects after `timeoutMs`, naming `what`. For state that changes without an
 * event to wait on (a log line, a file, the server's answer to a probe).
 */
export async function eventually(read, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(20);
  }
}

/**
 * Waits for `event` on `emitter` (EventEmitter or EventTarget-like with on/off).
 * Resolves with the array of the event's arguments. Rejects after `timeoutMs`,
 * and (unless `event` is 'error' or rejectOnError is false) when 'error' is emitted first.
 */
export function waitFor(emitter, event, timeoutMs = 2000, { rejectOnError = true } = {}) {
  return new Promise((resolve, reject) => {
    const watchError = rejectOnError && event !== 'error';
    const cleanup = () => {
      clearTimeout(timer);
      emitter.removeListener(event, onEvent);
      if (watchError) emitter.removeListener('error', onError);
    };
    const onEvent = (...args) => {
      cleanup();
      resolve(args);
    };
    const onError = (err) => {
      cleanup();
      reject(err instanceof Error ? err : new Error(`'error' emitted while waiting for '${event}': ${err}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`));
    }, timeoutMs);
    emitter.on(event, onEvent);
    if (watchError) emitter.on('error', onError);
  });
}

/** Races `promise` against a timer; rejects with a message naming `what` on timeout. */
export function withTimeout(promise, timeoutMs, what = 'operation') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
}

/** Resolves true if a TCP connection to 127.0.0.1:port can be established (then closes it). */
export function canConnect(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => {
      clearTimeout(timer);
      sock.removeAllListeners();
      sock.on('error', () => {});
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Spawns the server `bin` (default: the engineio-echo server) with the
 * command-line arguments `args` (default none; `binEnv` names the variable that
 * overrides `bin`, for error messages) and `env` (merged
 * over the runner's environment; PORT is `port` when given, else a free port
 * chosen here) and waits until it accepts TCP connections.
 * With `fdLimit` (a positive integer), the server runs under `ulimit -n fdLimit`
 * (soft and hard limit, so it cannot raise it); `proc` is still the server itself,
 * since the shell execs it.
 * A sanitizer build of the server writes its reports into a directory of its own (see
 * sanitizer.mjs): stop() throws when there is one.
 * Returns { bin, port, url, proc, stop(), log(), printLog(title), exited }.
 */
export async function startServer({
  env = {},
  readyTimeoutMs = 10000,
  fdLimit,
  bin = echoBin,
  args: binArgs = [],
  binEnv,
  port: fixedPort,
} = {}) {
  if (fdLimit !== undefined && !(Number.isInteger(fdLimit) && fdLimit > 0)) {
    throw new Error(`fdLimit must be a positive integer, got ${fdLimit}`);
  }
  if (fixedPort !== undefined && !(Number.isInteger(fixedPort) && fixedPort > 0 && fixedPort < 65536)) {
    throw new Error(`port must be a TCP port number, got ${fixedPort}`);
  }
  const port = fixedPort ?? (await freePort());
  const sanitizerLogs = new SanitizerLogs(`${path.basename(bin)} on port ${port}`);
  const childEnv = { ...process.env };
  for (const k of SERVER_ENV_KEYS) delete childEnv[k];
  Object.assign(childEnv, sanitizerLogs.env, env, { PORT: String(port) });

  let output = '';
  const append = (chunk) => {
    output += chunk.toString('utf8');
    if (output.length > MAX_LOG_CHARS) output = output.slice(-MAX_LOG_CHARS);
  };

  // `ulimit -n N` sets both the soft and the hard limit (dash and bash alike).
  const [command, args] =
    fdLimit === undefined
      ? [bin, binArgs]
      : ['/bin/sh', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, bin, ...binArgs]];
  const proc = spawn(command, args, {
    cwd: repoRoot,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', append);
  proc.stderr.on('data', append);

  let spawnError = null;
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.once('error', (err) => {
      spawnError = err;
      // 'exit' may never come when the spawn itself failed.
      if (!exitInfo) {
        exitInfo = { code: null, signal: null, error: err };
        resolve(exitInfo);
      }
    });
    proc.once('exit', (code, signal) => {
      if (!exitInfo) {
        exitInfo = { code, signal };
        resolve(exitInfo);
      }
    });
  });

  const server = {
    bin,
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    /** Promise of { code, signal } resolved when the process has exited. */
    exited,
    /** stdout+stderr of the server so far. */
    log: () => output,
    printLog(title = 'server output') {
      process.stderr.write(
        `\n----- ${title} (${bin}, port ${port}) -----\n${output || '(no output)'}\n----- end -----\n`,
      );
    },
    /**
     * Sends SIGTERM and waits for exit (10 s, then SIGKILL and throws). Returns { code, signal };
     * throws when a sanitizer reported anything.
     */
    async stop({ signal = 'SIGTERM', timeoutMs = 10000 } = {}) {
      if (!exitInfo) {
        proc.kill(signal);
        try {
          await withTimeout(exited, timeoutMs, `server exit after ${signal}`);
        } catch (err) {
          proc.kill('SIGKILL');
          await withTimeout(exited, 5000, 'server exit after SIGKILL').catch(() => {});
          server.printLog('server did not exit in time');
          throw err;
        }
      }
      checkSanitizer();
      return exitInfo;
    },
  };

  /** Throws (after printing the server's output) when a sanitizer reported; else cleans up. */
  const checkSanitizer = () => {
    try {
      sanitizerLogs.check(exitInfo);
    } catch (err) {
      server.printLog('server output before its sanitizer report');
      throw err;
    }
    sanitizerLogs.dispose();
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (spawnError) {
      throw new Error(`cannot start ${bin}: ${spawnError.message} (build it first, or set ${binEnv ?? binVariable(bin)})`);
    }
    if (exitInfo) {
      server.printLog('server exited during startup');
      checkSanitizer();
      throw new Error(`${bin} exited during startup (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    }
    if (await canConnect(port, 200)) break;
    if (Date.now() >= deadline) {
      proc.kill('SIGKILL');
      await withTimeout(exited, 5000, 'server exit after SIGKILL').catch(() => {});
      server.printLog('server never accepted connections');
      throw new Error(`${bin} did not accept connections on 127.0.0.1:${port} within ${readyTimeoutMs} ms`);
    }
    await sleep(20);
  }
  return server;
}

/**
 * For use in afterEach: prints the server's output when the test just failed
 * (needs TestContext.passed, present in recent Node 20 releases).
 */
export function printLogIfFailed(t, ...servers) {
  if (t && t.passed === false) {
    for (const s of servers) if (s) s.printLog(`server output for failed test "${t.name}"`);
  }
}
