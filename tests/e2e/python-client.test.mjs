// The Python Socket.IO client (Debian's python3-socketio 5.7.2, sync socketio.Client) on
// /ws/internal, over websocket and over polling, with connection state recovery on
// (RECOVERY_SECONDS unset: the default) and off (RECOVERY_SECONDS=0). It follows a report
// (tests/e2e/python/live_client.py) while two comments are posted over REST: with recovery,
// each comment.created has two arguments, the payload (the 201 body) and its offset (the
// comment id as a decimal string), and the CONNECT reply carries a pid; without, the payload
// alone and no pid. Needs /usr/bin/python3 with python3-socketio, python3-websocket and
// python3-requests (scripts/install-deps).

import { describe, test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { printLogIfFailed, repoRoot, withTimeout } from './lib/server.mjs';
import { stopCleanly, startReportd, api, checkJoinAck, login } from './lib/reportd.mjs';

const T = { timeout: 20000 };
const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(repoRoot, 'tests/e2e/python/live_client.py');
/** Seconds after which the Python client gives up by itself. */
const CLIENT_SECONDS = 12;

// "Default" means unset: not inherited from the runner's environment either.
delete process.env.RECOVERY_SECONDS;

const USERS = [
  { username: 'op1', role: 'operator', internal: true },
  { username: 'alice', role: 'citizen' },
];

const MODES = [
  { name: 'recovery on (RECOVERY_SECONDS unset, default 600)', env: {}, recovery: true },
  { name: 'recovery off (RECOVERY_SECONDS=0)', env: { RECOVERY_SECONDS: '0' }, recovery: false },
];

/** Python clients of the running test; killed in afterEach. */
const children = new Set();

/**
 * Runs live_client.py with `args`. Returns { lines (parsed JSON lines of stdout),
 * next(predicate, timeoutMs, what) -> the first line matching, exited -> { code, signal },
 * output() -> stdout and stderr for messages, kill() }.
 */
function runClient(args) {
  const proc = spawn(PYTHON, [CLIENT, ...args.map(String)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const lines = [];
  const raw = [];
  let stderr = '';
  const waiters = new Set();
  proc.stderr.on('data', (c) => {
    stderr += c.toString('utf8');
  });
  readline.createInterface({ input: proc.stdout }).on('line', (text) => {
    raw.push(text);
    let obj;
    try {
      obj = JSON.parse(text);
    } catch {
      return;
    }
    lines.push(obj);
    for (const w of [...waiters]) w();
  });
  // 'close' (not 'exit'): every line of stdout has been read by then.
  let closed = false;
  const exited = new Promise((resolve) => {
    proc.once('error', (error) => {
      stderr += `cannot run ${PYTHON} ${CLIENT}: ${error.message} (scripts/install-deps installs it)\n`;
      resolve({ code: null, signal: null, error });
    });
    proc.once('close', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    closed = true;
    for (const w of [...waiters]) w();
  });
  const output = () => `stdout:\n${raw.join('\n')}\nstderr:\n${stderr}`;
  return {
    lines,
    exited,
    output,
    next(predicate, timeoutMs, what) {
      let check;
      const found = new Promise((resolve, reject) => {
        check = () => {
          const hit = lines.find(predicate);
          if (hit) resolve(hit);
          else if (closed) reject(new Error(`the client exited before ${what}`));
        };
        waiters.add(check);
        check();
      });
      return withTimeout(found, timeoutMs, `${what} from the Python client`)
        .catch((err) => {
          throw new Error(`${err.message}\n${output()}`);
        })
        .finally(() => waiters.delete(check));
    },
    kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});

for (const mode of MODES) {
  describe(mode.name, () => {
    let srv;
    const tok = {};

    before(async () => {
      srv = await startReportd({ users: USERS, env: mode.env });
      for (const u of USERS) tok[u.username] = await login(srv.url, u.username, srv.users[u.username].password);
    });

    after(async () => {
      if (!srv) return;
      await stopCleanly(srv);
    });

    afterEach((t) => printLogIfFailed(t, srv));

    for (const transport of ['websocket', 'polling']) {
      test(`python-socketio over ${transport}: comment.created has ${mode.recovery ? 'the payload and its offset' : 'the payload alone'}`, T, async () => {
        const report = await api(srv.url, 'POST', '/api/reports', {
          token: tok.alice,
          body: { title: `python ${transport}`, description: 'followed by python-socketio' },
        });
        assert.equal(report.status, 201, report.text);
        const reportId = report.json.id;

        const client = runClient([srv.url, tok.op1, reportId, transport, 2, CLIENT_SECONDS]);
        try {
          const { ready } = await client.next((l) => l.ready || l.error || l.timeout !== undefined, 8000, 'ready');
          assert.ok(ready, `the client connected and joined: ${client.output()}`);
          checkJoinAck(ready.join, reportId);
          assert.equal(ready.transport, transport);
          assert.equal(typeof ready.sid, 'string');
          assert.equal(ready.connect?.sid, ready.sid, 'the CONNECT reply names the sid');
          if (mode.recovery) {
            assert.equal(typeof ready.connect.pid, 'string', `a pid in the CONNECT reply: ${JSON.stringify(ready.connect)}`);
            assert.ok(ready.connect.pid.length > 0, 'a non-empty pid');
          } else {
            assert.equal('pid' in ready.connect, false, `no pid in the CONNECT reply: ${JSON.stringify(ready.connect)}`);
          }

          const bodies = [];
          for (const text of ['first from Node — “quoted” ✓ 🚧', 'second\nline']) {
            const r = await api(srv.url, 'POST', `/api/reports/${reportId}/comments`, { token: tok.op1, body: { comment: text } });
            assert.equal(r.status, 201, r.text);
            bodies.push(r.json);
          }

          await client.next((l) => l.done !== undefined || l.timeout !== undefined, 8000, 'two comment.created');
          const { code, signal } = await withTimeout(client.exited, 5000, 'exit of the Python client');
          assert.deepEqual({ code, signal }, { code: 0, signal: null }, client.output());

          const got = client.lines.filter((l) => l.args).map((l) => l.args);
          const expected = bodies.map((b) => (mode.recovery ? [b, String(b.id)] : [b]));
          assert.deepEqual(got, expected, `comment.created arguments\n${client.output()}`);
        } finally {
          client.kill();
        }
      });
    }
  });
}
