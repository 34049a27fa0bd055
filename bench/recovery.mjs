// Scenario (h) of bench/run.py: connection state recovery with the official socket.io-client.
//
//   node bench/recovery.mjs --port P --token T [--clients 1000] [--room-size 10] [--missed 10]
//        [--healthy-clients 5] [--healthy-rate 20] [--healthy-quiet-ms 1000] [--procs 1]
//        [--worker-nice 10] [--post-in-flight 16] [--recovery-timeout-ms 30000]
//        [--deadline-ms 120000]
//
// The clients (socket.io-client over WebSocket, reconnectionDelay 100 ms, reconnectionDelayMax
// 200 ms, randomizationFactor 0) run in --procs child processes, each from its own 127.0.0.x
// source address and at nice --worker-nice (they need more CPU than the server they measure:
// the server and the healthy room's process come first); client i follows report
// 1 + floor(i / room-size). Each receives one comment
// (so that it holds an offset); then every client's connection is closed at once
// (`socket.io.engine.close()`, with reconnection held off meanwhile) and --missed comments per
// report are posted over REST; then, on the line "go" on stdin, every client reconnects at once
// (reconnection back on, `socket.connect()`: the client sends its pid and offset by itself).
// Measured from that trigger: the time until every client holds its missed comments, and the
// delivery latency (receive - post, both in this process) of a healthy room (report
// clients/room-size + 1, its clients here in the parent process), posted to at --healthy-rate
// per second until the recovery is over; for reference the same for --healthy-quiet-ms before
// the cut, with every client connected and idle. Afterwards one comment per report checks that the
// resumed clients are still in their rooms.
//
// Prints JSON lines: {"event":"cut",...} (then waits for "go"), {"event":"recovered",...} when
// the recovery is over (so that the caller reads the server's CPU time), and finally
// {"event":"result",...} with every count. Exits 1 on a fatal error or at --deadline-ms.
import { fork } from 'node:child_process';
import os from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { io } from 'socket.io-client';

const NSP = '/ws/internal';
const now = () => process.hrtime.bigint(); // CLOCK_MONOTONIC: the same clock in every process
const msBetween = (from, to) => Number(to - from) / 1e6;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function clientOptions(token, source) {
  return {
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
    timeout: 10_000,
    auth: { token },
    ...(source && { localAddress: source }),
  };
}

// Resolves when `done()` holds (checked every 10 ms) or after `ms`; the value says which.
async function until(done, ms) {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await sleep(10);
  }
  return true;
}

// One socket.io-client client that follows `report`: connected and joined, or why not.
function openClient(url, token, source, report, onComment) {
  const socket = io(url, clientOptions(token, source));
  const client = { socket, report, sid: null };
  socket.on('comment.created', (comment, offset) => onComment(client, comment, offset));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ client, error: 'connect timeout' }), 20_000);
    socket.once('connect', async () => {
      client.sid = socket.id;
      try {
        const ack = await socket.timeout(10_000).emitWithAck('join_report', { reportId: report });
        clearTimeout(timer);
        resolve({ client, error: ack?.ok ? null : `join refused: ${JSON.stringify(ack)}` });
      } catch (err) {
        clearTimeout(timer);
        resolve({ client, error: `join: ${err.message}` });
      }
    });
  });
}

// Opens `specs` ({report}) clients, `concurrency` handshakes at a time.
async function openClients(url, token, source, specs, concurrency, onComment) {
  const clients = [];
  const errors = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, specs.length) }, async () => {
      while (next < specs.length) {
        const spec = specs[next++];
        const { client, error } = await openClient(url, token, source, spec.report, onComment);
        client.index = spec.index;
        clients.push(client);
        if (error) {
          client.failed = true;
          errors[error] = (errors[error] ?? 0) + 1;
        }
      }
    }),
  );
  return { clients, errors };
}

// ---- worker: a share of the recovering clients ----

async function worker() {
  const nice = Number(process.env.RECOVERY_WORKER_NICE || 0);
  if (nice) os.setPriority(nice);
  let clients = [];
  let phase = 'warm';
  let expected = {};
  let t0 = 0n;
  let noOffset = 0;
  let finished = 0;
  let doneSent = false;
  let cpuAtGo = null;
  const send = (message) => process.send(message);

  const finish = (client) => {
    if (client.doneAt) return;
    client.doneAt = now();
    if (++finished === clients.length) sendDone(true);
  };
  const sendDone = (all) => {
    if (doneSent) return;
    doneSent = true;
    const cpu = process.cpuUsage(cpuAtGo);
    const times = clients.filter((c) => c.complete).map((c) => msBetween(t0, c.doneAt));
    send({
      type: 'done',
      all,
      times,
      last: clients.reduce((last, c) => (c.doneAt && c.doneAt > last ? c.doneAt : last), 0n).toString(),
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    });
  };

  // A resumed client that holds every comment it missed is done. The Node server sends them
  // before its CONNECT reply (the client buffers them until then), reportd after it.
  const check = (client) => {
    if (phase !== 'missed' || client.doneAt || client.socket.recovered !== true) return;
    const want = expected[client.report] ?? [];
    const got = new Set((client.lists?.missed ?? []).map((c) => c.id));
    if (want.every((id) => got.has(id))) {
      client.complete = true;
      finish(client);
    }
  };
  const onComment = (client, comment, offset) => {
    if (typeof offset !== 'string') noOffset += 1;
    const lists = (client.lists ??= {});
    (lists[phase] ??= []).push({ id: Number(comment?.id), report: Number(comment?.report_id) });
    check(client);
  };

  const handlers = {
    async start(m) {
      const opened = await openClients(m.url, m.token, m.source, m.specs, m.concurrency, onComment);
      clients = opened.clients;
      const joined = clients.filter((c) => !c.failed).length;
      send({ type: 'ready', joined, failed: clients.length - joined, errors: opened.errors });
    },
    async await(m) {
      // Every joined client has a comment of this phase (or the time is up).
      const live = clients.filter((c) => !c.failed && (m.phase !== 'rooms' || c.recovered));
      await until(() => live.every((c) => c.lists?.[m.phase]?.length), m.timeoutMs);
      send({ type: 'awaited', missing: live.filter((c) => !c.lists?.[m.phase]?.length).length });
    },
    async cut() {
      phase = 'missed';
      const reasons = {};
      let gone = 0;
      for (const c of clients) {
        if (c.failed) continue;
        c.socket.once('disconnect', (reason) => {
          reasons[reason] = (reasons[reason] ?? 0) + 1;
          gone += 1;
        });
        // Held off, so that all come back together on "go" (after the missed comments).
        c.socket.io.reconnection(false);
        c.socket.io.engine.close();
      }
      const live = clients.filter((c) => !c.failed).length;
      await until(() => gone === live, 10_000);
      send({ type: 'cut', disconnected: gone, reasons });
    },
    go(m) {
      expected = m.expected;
      t0 = BigInt(m.t0);
      cpuAtGo = process.cpuUsage();
      const live = clients.filter((c) => !c.failed);
      for (const c of clients) if (c.failed) finish(c);
      for (const c of live) {
        c.connectErrors = 0;
        c.socket.on('connect_error', () => (c.connectErrors += 1));
        c.socket.on('disconnect', () => (c.lostAgain = (c.lostAgain ?? 0) + 1));
        c.socket.once('connect', () => {
          c.reconnectedAt = now();
          c.recovered = c.socket.recovered === true;
          c.sameSid = c.socket.id === c.sid;
          // A new session gets nothing it missed: this client is done, as a failure.
          if (!c.recovered) finish(c);
          else check(c);
        });
        c.socket.io.reconnection(true);
        c.socket.connect();
      }
      setTimeout(() => sendDone(false), m.timeoutMs).unref();
    },
    phase(m) {
      phase = m.phase;
      send({ type: 'phase' });
    },
    stats() {
      const s = {
        clients: clients.length, failedToJoin: 0, notReconnected: 0, notRecovered: 0,
        sidChanged: 0, complete: 0, exact: 0, incomplete: 0, missing: 0, duplicates: 0,
        outOfOrder: 0, foreign: 0, unexpected: 0, roomsLost: 0, connectErrors: 0, lostAgain: 0,
        noOffset,
      };
      for (const c of clients) {
        if (c.failed) { s.failedToJoin += 1; continue; }
        s.connectErrors += c.connectErrors ?? 0;
        s.lostAgain += c.lostAgain ?? 0;
        if (!c.reconnectedAt) { s.notReconnected += 1; continue; }
        const got = c.lists?.missed ?? [];
        if (!c.recovered) { s.notRecovered += 1; s.unexpected += got.length; continue; }
        if (!c.sameSid) s.sidChanged += 1;
        const want = expected[c.report] ?? [];
        const ids = got.map((g) => g.id);
        const seen = new Set(ids);
        const wanted = new Set(want);
        s.duplicates += ids.length - seen.size;
        s.missing += want.filter((id) => !seen.has(id)).length;
        s.foreign += got.filter((g) => g.report !== c.report || !wanted.has(g.id)).length;
        // In order: the wanted ids, first arrivals only, in ascending (commit) order.
        const firsts = ids.filter((id, k) => wanted.has(id) && ids.indexOf(id) === k);
        if (firsts.some((id, k) => k > 0 && id < firsts[k - 1])) s.outOfOrder += 1;
        if (c.complete) s.complete += 1; else s.incomplete += 1;
        if (c.sameSid && ids.length === want.length && ids.every((id, k) => id === want[k])) s.exact += 1;
        if (!c.lists?.rooms?.length) s.roomsLost += 1;
      }
      send({ type: 'stats', stats: s });
    },
    quit() {
      for (const c of clients) c.socket.disconnect();
      setTimeout(() => process.exit(0), 100);
    },
  };
  process.on('message', (m) => {
    Promise.resolve(handlers[m.type](m)).catch((err) => {
      send({ type: 'fatal', error: err?.stack ?? String(err) });
    });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---- parent: the workers, the poster, the healthy room and the measurement ----

async function main() {
  const { values: a } = parseArgs({
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      clients: { type: 'string', default: '1000' },
      'room-size': { type: 'string', default: '10' },
      missed: { type: 'string', default: '10' },
      'healthy-clients': { type: 'string', default: '5' },
      'healthy-rate': { type: 'string', default: '20' },
      'healthy-quiet-ms': { type: 'string', default: '1000' },
      procs: { type: 'string', default: '1' },
      'worker-nice': { type: 'string', default: '10' },
      'post-in-flight': { type: 'string', default: '16' },
      'recovery-timeout-ms': { type: 'string', default: '30000' },
      'deadline-ms': { type: 'string', default: '120000' },
    },
  });
  const total = Number(a.clients);
  const roomSize = Number(a['room-size']);
  const missedPerReport = Number(a.missed);
  const procs = Math.max(1, Math.min(8, Number(a.procs)));
  const inFlight = Number(a['post-in-flight']);
  const recoveryTimeoutMs = Number(a['recovery-timeout-ms']);
  const bounds = [[total, 1, 19_000], [roomSize, 1, 1000], [missedPerReport, 1, 1000],
    [Number(a['healthy-clients']), 1, 100], [Number(a['healthy-rate']), 1, 1000],
    [inFlight, 1, 256], [Number(a['healthy-quiet-ms']), 0, 60_000], [Number(a['worker-nice']), 0, 19]];
  if (!a.port || !a.token || bounds.some(([v, lo, hi]) => !(v >= lo && v <= hi))) {
    throw new Error('bad arguments: see the usage at the top of bench/recovery.mjs');
  }
  const deadline = setTimeout(() => fatal(`deadline of ${a['deadline-ms']} ms`), Number(a['deadline-ms']));
  deadline.unref();
  const base = `http://127.0.0.1:${a.port}`;
  const url = `${base}${NSP}`;
  const reports = Math.ceil(total / roomSize);
  const healthyReport = reports + 1;
  const out = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

  const workers = [];
  const inbox = [];
  function fatal(error) {
    out({ event: 'error', error });
    for (const w of workers) w.kill('SIGKILL');
    process.exit(1);
  }
  for (let k = 0; k < procs; k++) {
    const child = fork(new URL(import.meta.url).pathname, ['worker'], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, RECOVERY_WORKER_NICE: a['worker-nice'] },
    });
    child.on('message', (m) => (m.type === 'fatal' ? fatal(`worker ${k}: ${m.error}`) : inbox.push({ k, m })));
    child.on('exit', (code) => code && fatal(`worker ${k} exited with ${code}`));
    workers.push(child);
  }
  // One reply of `type` from every worker.
  async function gather(type, ms) {
    const replies = new Array(procs);
    const ok = await until(() => {
      for (let i = inbox.length - 1; i >= 0; i--) {
        if (inbox[i].m.type === type) replies[inbox[i].k] = inbox.splice(i, 1)[0].m;
      }
      return replies.filter(Boolean).length === procs;
    }, ms);
    if (!ok) fatal(`only ${replies.filter(Boolean).length}/${procs} workers answered ${type}`);
    return replies;
  }
  const broadcast = (message) => workers.forEach((w) => w.send(message));
  const sum = (list, key) => list.reduce((s, x) => s + (x[key] ?? 0), 0);

  async function postComment(report, text) {
    const res = await fetch(`${base}/api/reports/${report}/comments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${a.token}` },
      body: JSON.stringify({ comment: text }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = await res.json().catch(() => null);
    if (res.status !== 201) throw new Error(`POST comment: ${res.status} ${JSON.stringify(body)}`);
    return Number(body.id ?? body.comment?.id);
  }
  // Posts `count` comments to each of `reportIds` (one after the other per report), `inFlight` at
  // a time; the ids, per report, in ascending order (the order the server commits them).
  async function postRound(reportIds, count, label) {
    const jobs = [];
    for (let n = 0; n < count; n++) for (const r of reportIds) jobs.push(r);
    const ids = Object.fromEntries(reportIds.map((r) => [r, []]));
    let next = 0;
    let failed = 0;
    const started = now();
    await Promise.all(
      Array.from({ length: Math.min(inFlight, jobs.length) }, async () => {
        while (next < jobs.length) {
          const report = jobs[next++];
          try {
            ids[report].push(await postComment(report, `${label} ${report}`));
          } catch {
            failed += 1;
          }
        }
      }),
    );
    for (const r of reportIds) ids[r].sort((x, y) => x - y);
    return { ids, failed, seconds: msBetween(started, now()) / 1000 };
  }

  // The recovering clients, spread over the workers.
  const specs = Array.from({ length: total }, (_, i) => ({ index: i, report: 1 + Math.floor(i / roomSize) }));
  const connectStarted = now();
  workers.forEach((w, k) =>
    w.send({
      type: 'start', url, token: a.token, source: `127.0.0.${2 + k}`, concurrency: 50,
      specs: specs.filter((_, i) => i % procs === k),
    }),
  );
  // The healthy room, here: its latency is not measured by a process busy with recovering.
  const sent = new Map(); // comment h=<seq>: when it was posted, and where its latencies go
  const healthy = await openClients(url, a.token, null,
    Array.from({ length: Number(a['healthy-clients']) }, (_, i) => ({ index: i, report: healthyReport })),
    10, (_client, comment) => {
      const seq = /^h=(\d+)/.exec(comment?.comment ?? '')?.[1];
      const post = seq && sent.get(Number(seq));
      if (post) post.samples.push(msBetween(post.at, now()));
    });
  if (healthy.clients.some((c) => c.failed)) fatal(`healthy clients: ${JSON.stringify(healthy.errors)}`);
  const q = (list, p) => (list.length ? list[Math.min(list.length - 1, Math.ceil(p * list.length) - 1)] : 0);
  let seq = 0;
  // Posts to the healthy room at --healthy-rate while running() holds (at most 32 posts in
  // flight: one more is counted as failed), then waits (2 s at most) for their deliveries.
  async function healthyPhase(running) {
    const interval = 1000 / Number(a['healthy-rate']);
    const samples = [];
    const pending = new Set();
    const start = now();
    let posted = 0;
    let failed = 0;
    for (let n = 0; running(); n++) {
      const wait = n * interval - msBetween(start, now());
      if (wait > 0) await sleep(wait);
      if (!running()) break;
      if (pending.size >= 32) { failed += 1; continue; }
      const id = seq++;
      sent.set(id, { at: now(), samples });
      const p = postComment(healthyReport, `h=${id}`)
        .then(() => (posted += 1), () => (failed += 1))
        .finally(() => pending.delete(p));
      pending.add(p);
    }
    await Promise.allSettled([...pending]);
    await until(() => samples.length >= posted * healthy.clients.length, 2_000);
    const sorted = samples.sort((x, y) => x - y);
    return {
      clients: healthy.clients.length, rate: Number(a['healthy-rate']), posted, failed,
      deliveries: sorted.length, expected: posted * healthy.clients.length,
      p50_ms: q(sorted, 0.5), p99_ms: q(sorted, 0.99), max_ms: sorted.at(-1) ?? 0,
    };
  }
  const ready = await gather('ready', 60_000);
  const joined = sum(ready, 'joined');
  const connectSeconds = msBetween(connectStarted, now()) / 1000;
  if (joined === 0) fatal(`no client joined: ${JSON.stringify(ready.map((r) => r.errors))}`);
  const reportIds = Array.from({ length: reports }, (_, r) => r + 1);

  // Every client receives one comment, so that it holds an offset to come back with.
  const warm = await postRound(reportIds, 1, 'warm');
  broadcast({ type: 'await', phase: 'warm', timeoutMs: 10_000 });
  const warmMissing = sum(await gather('awaited', 15_000), 'missing');
  // The healthy room with every client connected and idle: the reference for the recovery.
  const quietStart = now();
  const quiet = await healthyPhase(() => msBetween(quietStart, now()) < Number(a['healthy-quiet-ms']));

  // The cut; then what the clients miss, posted while they are away.
  broadcast({ type: 'cut' });
  const cut = await gather('cut', 15_000);
  const reasons = {};
  for (const c of cut) for (const [r, n] of Object.entries(c.reasons)) reasons[r] = (reasons[r] ?? 0) + n;
  await sleep(300); // the servers have seen every connection close
  const missed = await postRound(reportIds, missedPerReport, 'missed');
  out({ event: 'cut', clients: total, joined, disconnected: sum(cut, 'disconnected'), reasons,
    posted: reports * missedPerReport - missed.failed, post_seconds: missed.seconds });

  // "go": everyone reconnects at once, the healthy room is posted to meanwhile.
  const line = await new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    rl.once('line', (text) => { resolve(text.trim()); rl.close(); });
    rl.once('close', () => resolve('eof'));
  });
  if (line !== 'go') fatal(`expected "go", got ${line}`);
  const t0 = now();
  broadcast({ type: 'go', t0: t0.toString(), expected: missed.ids, timeoutMs: recoveryTimeoutMs });
  let recovering = true;
  const during = healthyPhase(() => recovering);
  const done = await gather('done', recoveryTimeoutMs + 5_000);
  recovering = false;
  const last = done.reduce((m, d) => (BigInt(d.last) > m ? BigInt(d.last) : m), 0n);
  const allDone = done.every((d) => d.all);
  const seconds = (allDone ? msBetween(t0, last) : msBetween(t0, now())) / 1000;
  out({ event: 'recovered', seconds, all: allDone });
  const healthyDuring = await during;

  // Late duplicates would arrive now; then one comment per report: are the clients in their rooms?
  await sleep(500);
  broadcast({ type: 'phase', phase: 'rooms' });
  await gather('phase', 5_000);
  const roomsCheck = await postRound(reportIds, 1, 'rooms');
  broadcast({ type: 'await', phase: 'rooms', timeoutMs: 5_000 });
  await gather('awaited', 10_000);
  broadcast({ type: 'stats' });
  const stats = (await gather('stats', 10_000)).map((s) => s.stats);
  const totals = Object.fromEntries(Object.keys(stats[0]).map((k) => [k, sum(stats, k)]));

  const times = done.flatMap((d) => d.times).sort((x, y) => x - y);
  const result = {
    event: 'result', clients: total, reports, room_size: roomSize, missed_per_report: missedPerReport,
    procs, joined, connect_seconds: connectSeconds, warm_missing: warmMissing,
    posts_failed: warm.failed + missed.failed + roomsCheck.failed, disconnect_reasons: reasons,
    recovery_seconds: seconds, all_done: allDone,
    client_done_p50_ms: q(times, 0.5), client_done_p99_ms: q(times, 0.99),
    client_cpu_seconds: sum(done, 'clientCpuSeconds'),
    ...Object.fromEntries(Object.entries(totals).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v])),
    healthy: healthyDuring,
    healthy_quiet: quiet,
  };
  out(result);
  broadcast({ type: 'quit' });
  for (const c of healthy.clients) c.socket.disconnect();
  await until(() => workers.every((w) => w.exitCode !== null), 5_000);
  process.exit(0);
}

if (process.argv[2] === 'worker') {
  worker();
} else {
  main().catch((err) => {
    process.stdout.write(`${JSON.stringify({ event: 'error', error: err?.stack ?? String(err) })}\n`);
    process.exit(1);
  });
}
