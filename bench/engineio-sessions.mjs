// Opens N WebSocket Engine.IO sessions against a running server, as fast as CONCURRENCY
// handshakes in flight allow, and reports sessions opened per second and the server's resident
// memory per idle session (RSS delta / N, read from /proc). Bounded: N sessions, one deadline.
//
// usage: node bench/engineio-sessions.mjs --pid PID --port PORT [--path /engine.io/]
//        [--sessions 5000] [--concurrency 200] [--deadline-ms 60000]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values: args } = parseArgs({
  options: {
    pid: { type: 'string' },
    port: { type: 'string', default: '3000' },
    path: { type: 'string', default: '/engine.io/' },
    sessions: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '200' },
    'deadline-ms': { type: 'string', default: '60000' },
  },
});
const total = Number(args.sessions);
const concurrency = Number(args.concurrency);
const deadline = Date.now() + Number(args['deadline-ms']);
const url = `ws://127.0.0.1:${args.port}${args.path}?EIO=4&transport=websocket`;

function rssKiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

const open = [];
let failures = 0;
function openOne() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('message', (data) => {
      // Answer pings so that the sessions stay open while we measure.
      ws.on('message', (m) => { if (m.toString() === '2') ws.send('3'); });
      open.push(ws);
      resolve(String(data).startsWith('0'));
    });
    ws.once('error', () => resolve(false));
  });
}

const rssBefore = rssKiB(args.pid);
const started = process.hrtime.bigint();
let next = 0;
async function worker() {
  while (next < total && Date.now() < deadline) {
    next++;
    if (!(await openOne())) failures++;
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
await new Promise((r) => setTimeout(r, 1000)); // let the server settle before reading RSS
const rssAfter = rssKiB(args.pid);
const result = {
  sessions: open.length,
  failures,
  seconds: Number(seconds.toFixed(3)),
  sessions_per_second: Math.round(open.length / seconds),
  rss_before_kib: rssBefore,
  rss_after_kib: rssAfter,
  rss_per_session_bytes: Math.round(((rssAfter - rssBefore) * 1024) / Math.max(1, open.length)),
};
console.log(JSON.stringify(result));
for (const ws of open) ws.terminate();
process.exit(0);
