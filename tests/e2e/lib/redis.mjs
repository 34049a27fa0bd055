// A redis-server of the test's own: a free loopback port, no persistence, a temporary folder;
// stopped by its PID and restartable on the same port (to test reconnection). Never the
// system's Redis service.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, canConnect, sleep, withTimeout } from './server.mjs';

/** Starts redis-server; resolves { port, url, stop(), start(), dispose() }. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reportd-e2e-redis-'));
  let proc = null;
  let exited = null;

  const redis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    /** Starts it (again) on the same port and waits until it accepts connections. */
    async start() {
      if (proc) return;
      proc = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
          '--dir', dir, '--logfile', path.join(dir, 'redis.log')],
        { stdio: 'ignore' },
      );
      exited = new Promise((resolve) => {
        proc.once('exit', resolve);
        proc.once('error', (err) => resolve(err));
      });
      const deadline = Date.now() + 5000;
      while (!(await canConnect(port, 200))) {
        if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port} (is it installed?)`);
        await sleep(20);
      }
    },
    /** SIGTERM to its PID, and waits for it to exit. */
    async stop() {
      if (!proc) return;
      proc.kill('SIGTERM');
      await withTimeout(exited, 5000, 'redis-server exit');
      proc = null;
    },
    async dispose() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await redis.start();
  return redis;
}
