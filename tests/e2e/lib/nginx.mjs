// Starts Debian's nginx in front of reportd nodes for the cluster tests, with the repository's
// own example configuration (deploy/nginx/reportd.conf, the one the README shows): only its
// listen port and upstream servers are replaced. Everything nginx writes (pid, logs, temporary
// bodies) stays in a temporary folder; it is stopped by PID. Every wait is bounded.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canConnect, freePort, repoRoot, sleep } from './server.mjs';

export const nginxBin = process.env.NGINX_BIN || '/usr/sbin/nginx';
const exampleConfig = path.join(repoRoot, 'deploy', 'nginx', 'reportd.conf');

/** The example configuration with `port` to listen on and `upstreamPorts` as its servers. */
export function nginxSiteConfig(port, upstreamPorts) {
  const example = fs.readFileSync(exampleConfig, 'utf8');
  const servers = upstreamPorts
    .map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=10s;`)
    .join('\n');
  const withServers = example.replace(/(?:^ {4}server 127\.0\.0\.1:\d+ [^\n]*\n)+/m, `${servers}\n`);
  const site = withServers.replace(/^ {4}listen \d+;$/m, `    listen 127.0.0.1:${port};`);
  if (!site.includes(servers) || !site.includes(`listen 127.0.0.1:${port};`)) {
    throw new Error(`${exampleConfig} no longer has the upstream servers and listen line this helper replaces`);
  }
  return site;
}

/**
 * Runs nginx on a free loopback port in front of 127.0.0.1:<upstreamPorts>.
 * Resolves { port, url, proc, log(), stop() }.
 */
export async function startNginx(upstreamPorts, { readyTimeoutMs = 5000 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reportd-nginx-'));
  // nginx's workers drop root for an unprivileged user: they must be able to use the folder.
  fs.chmodSync(dir, 0o755);
  const temp = path.join(dir, 'temp');
  fs.mkdirSync(temp, { mode: 0o777 });
  fs.chmodSync(temp, 0o777);
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'reportd.conf'), nginxSiteConfig(port, upstreamPorts));
  const tempPaths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${temp}/${kind};`)
    .join('\n');
  fs.writeFileSync(
    path.join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
${tempPaths}
  include ${dir}/reportd.conf;
}
`,
  );
  const proc = spawn(nginxBin, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const log = () => {
    const file = (name) => {
      try {
        return fs.readFileSync(path.join(dir, name), 'utf8');
      } catch {
        return '';
      }
    };
    return `${output}${file('error.log')}${file('access.log')}`;
  };
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + readyTimeoutMs;
  while (!(await canConnect(port, 200))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`nginx did not start on port ${port}:\n${log()}`);
    }
    await sleep(50);
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    proc,
    log,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGQUIT'); // graceful: workers finish, then exit
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
