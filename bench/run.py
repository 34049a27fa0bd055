#!/usr/bin/python3
"""Runs the benchmark scenarios against reportd, the Node.js socket.io baseline and the bare
WebSocket and long-polling ceiling in one invocation, and writes a side-by-side report with
ratios and charts.

    /usr/bin/python3 bench/run.py            # the short full run (under 10 minutes)
    /usr/bin/python3 bench/run.py --smoke    # tiny sizes: checks that the harness works

Scenarios (see README of bench/): (a) idle memory per signed-in, joined WebSocket connection
and connections per second; (b) fan-out to one room, comments one at a time and 4 in flight;
(c) many small rooms at rising comment rates; (d) long-polling clients; (e) slow consumers;
`roomsize`: server CPU per delivery against room size;
(f) (c) with both servers on PostgreSQL; (g) two nodes through Redis, clients on one node and
comments posted to the other; (h) connection state recovery: socket.io-client clients (in
`recovery.mjs`) cut at once, comments posted while they are away, all reconnecting at once.
PostgreSQL and Redis are started here, in temporary folders on
free loopback ports, and stopped at the end. Every server, client process and step is bounded
in time; only 127.0.0.0/8 is used. The server under test and the load generator run on
different CPUs (taskset) where the scenario allows; the report says which.
"""

import argparse
import datetime
import glob
import math
import json
import os
import platform
import queue
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = Path(os.environ.get("BUILD_DIR", ROOT / "build"))
REPORTD = Path(os.environ.get("REPORTD_BIN", BUILD / "src/app/reportd"))
LOADGEN = Path(os.environ.get("LOADGEN_BIN", BUILD / "bench/loadgen/loadgen"))
CEILING = BUILD / "bench/ceiling/ceiling"
BASELINE = ROOT / "bench/baseline-node/server.mjs"
RECOVERY = ROOT / "bench/recovery.mjs"
PASSWORD = "bench-password-1"
USERS = [f"bench{i}" for i in range(4)]
# Longer than reportd's report.viewers debounce (250 ms) after a room's first join.
PRESENCE_SETTLE = 0.5
SCENARIOS = ["idle", "fanout", "rooms", "polling", "slow", "roomsize", "pg", "cluster", "recovery"]


def default_pg_bin():
    """The newest Debian PostgreSQL: /usr/lib/postgresql/<major>/bin."""
    majors = [Path(p).parts[-3] for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]
    major = max((m for m in majors if m.isdigit()), key=int, default="15")
    return Path(f"/usr/lib/postgresql/{major}/bin")


PG_BIN = Path(os.environ.get("PG_BIN") or default_pg_bin())
REDIS_SERVER = os.environ.get("REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"

FULL = dict(idle=[1000, 5000, 10_000, 19_000], idle_targets=[10_000, 19_000],
            fanout_clients=10_000, fanout_one=30, fanout_four=60, rooms_clients=10_000,
            rates=[200, 400, 600, 800, 1000, 1200, 1600, 2400, 3200, 4800, 6400, 8000, 9600, 12800],
            step_seconds=4, roomsize_clients=10_000, roomsize_sizes=[10, 100, 1000, 10_000],
            roomsize_deliveries=50_000, roomsize_in_flight=8,
            polling_clients=1000, polling_comments=30, slow_clients=10_000, slow_comments=30,
            cluster_clients=2000, cluster_comments=40,
            recovery_clients=1000, recovery_missed=10, recovery_healthy=5, recovery_rate=20,
            recovery_quiet_ms=2000, recovery_procs=1, recovery_timeout=30, client_procs=4,
            # Bounds every client process's life and wait: a server pinned to one core while others
            # use the machine may take minutes for (b) (Node: 10k connections at ~200/s).
            deadline=240)
SMOKE = dict(idle=[100, 200], idle_targets=[200], fanout_clients=200, fanout_one=10, fanout_four=20,
             rooms_clients=200,
             rates=[20, 40], step_seconds=1, roomsize_clients=200, roomsize_sizes=[10, 50, 100, 200],
             roomsize_deliveries=400, roomsize_in_flight=8, polling_clients=20, polling_comments=5,
             slow_clients=200, slow_comments=10, cluster_clients=100, cluster_comments=5,
             recovery_clients=50, recovery_missed=10, recovery_healthy=5, recovery_rate=20,
             recovery_quiet_ms=500, recovery_procs=1, recovery_timeout=10, client_procs=2, deadline=30)


class Pinning:
    """Which CPUs the server under test and the load generator run on (`taskset`), so that the
    two do not take turns on one core: the first half of the CPUs this process may use for the
    server, the rest for the client and poster processes. Off with fewer than 2 CPUs, without
    taskset, or by choice (--no-pin); `note` says which."""

    def __init__(self, wanted=True):
        cpus = sorted(os.sched_getaffinity(0))
        self.server, self.load = [], []
        if not wanted:
            self.note = "not pinned (--no-pin)"
        elif len(cpus) < 2:
            self.note = f"not pinned: this process may use only {len(cpus)} CPU"
        elif not shutil.which("taskset"):
            self.note = "not pinned: taskset (util-linux) is missing"
        else:
            self.server, self.load = cpus[:len(cpus) // 2], cpus[len(cpus) // 2:]
            self.note = (f"server under test on CPU {self.cpu_list(self.server)}, load generator "
                         f"on CPU {self.cpu_list(self.load)}")

    @staticmethod
    def cpu_list(cpus):
        return ",".join(map(str, cpus))

    def _wrap(self, cmd, cpus, pin):
        cmd = list(map(str, cmd))
        return ["taskset", "-c", self.cpu_list(cpus), *cmd] if pin and cpus else cmd

    def server_cmd(self, cmd, pin=True):
        return self._wrap(cmd, self.server, pin)

    def load_cmd(self, cmd, pin=True):
        return self._wrap(cmd, self.load, pin)

    def server_threads(self, pin=True):
        """Network threads for the pinned ceiling: one per core it has, as its default means
        (std::thread::hardware_concurrency does not see the affinity; reportd's default counts
        the cores it may use). None: its default."""
        return len(self.server) if pin and self.server else None


PIN = Pinning()


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


def free_port():
    """A listening port below the ephemeral range, so that the thousands of client source ports
    of a previous step (some still closing) can never collide with it."""
    for _ in range(100):
        port = 20_000 + secrets.randbelow(10_000)
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def http(method, url, body=None, token=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def cpu_seconds_of(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_tail(path, lines=5):
    try:
        return " | ".join(Path(path).read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def stop_process(proc, log_file):
    """SIGTERM, then SIGKILL after 15 s; closes the process's log."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log_file.close()


class Server:
    """A server process, with its resident memory and CPU time read from /proc."""

    def __init__(self, name, cmd, env, port, ready_path, workdir):
        self.name, self.port, self.ready_path, self.workdir = name, port, ready_path, workdir
        Path(workdir).mkdir(parents=True, exist_ok=True)
        self.log_file = open(Path(workdir) / f"{name}.log", "w")
        self.proc = subprocess.Popen(cmd, env={**os.environ, **env}, cwd=workdir,
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log_file.flush()
                raise RuntimeError(f"{name} exited with {self.proc.returncode}: "
                                   f"{log_tail(self.log_file.name)} (in {self.log_file.name})")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=1).read()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{name} did not become ready: {log_tail(self.log_file.name)}")

    def rss_kib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        return cpu_seconds_of(self.proc.pid)

    def stop(self):
        stop_process(self.proc, self.log_file)


class Postgres:
    """A throwaway PostgreSQL cluster: initdb into a fresh temporary folder, listening on a free
    loopback port (and a Unix socket in that folder), default settings (fsync and synchronous
    commits on); one fresh database per use. Run as the postgres user when we are root."""

    def __init__(self):
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        for tool in ("initdb", "pg_ctl", "postgres", "psql"):
            if not (PG_BIN / tool).exists():
                raise RuntimeError(f"{PG_BIN / tool} is missing: install PostgreSQL or set PG_BIN")
        # Under /tmp, not in the run's own 0700 folder, which the postgres user could not enter.
        self.dir = Path(tempfile.mkdtemp(prefix="reportd-bench-pg-", dir="/tmp"))
        if self.as_owner:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data, self.port, self.started = self.dir / "data", free_port(), False
        try:
            subprocess.run(self.as_owner + [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                                            "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                           check=True, capture_output=True, timeout=120)
            options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
            subprocess.run(self.as_owner + [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                                            str(self.dir / "postgres.log"), "-o", options, "-w",
                                            "-t", "60", "start"],
                           check=True, capture_output=True, timeout=90)
            self.started = True
            self.sql("CREATE ROLE bench LOGIN PASSWORD 'bench'")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            detail = (getattr(e, "stderr", b"") or b"").decode(errors="replace").strip()
            message = f"PostgreSQL did not start: {detail} {log_tail(self.dir / 'postgres.log')}"
            self.stop()
            raise RuntimeError(message)

    def sql(self, statement):
        subprocess.run([str(PG_BIN / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(self.dir),
                        "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-c", statement],
                       check=True, capture_output=True, timeout=60)

    def database(self, name):
        """A fresh, empty database owned by the role bench, after a checkpoint, so that the
        previous user's writes are not flushed during the next measurement."""
        self.sql(f"DROP DATABASE IF EXISTS {name}")
        self.sql(f"CREATE DATABASE {name} OWNER bench")
        self.sql("CHECKPOINT")
        return f"postgres://bench:bench@127.0.0.1:{self.port}/{name}"

    def version(self):
        out = subprocess.run([str(PG_BIN / "postgres"), "--version"], capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self):
        if self.started:
            subprocess.run(self.as_owner + [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                                            "-w", "-t", "60", "stop"], capture_output=True, timeout=90)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


class Redis:
    """A redis-server on a free loopback port, without persistence, in a temporary folder."""

    def __init__(self, workdir):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}"
        Path(workdir).mkdir(parents=True, exist_ok=True)
        self.log_file = open(Path(workdir) / "redis.log", "w")
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                                      "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                                     stdout=self.log_file, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}: "
                                   f"{log_tail(self.log_file.name)}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not become ready")

    def cpu_seconds(self):
        return cpu_seconds_of(self.proc.pid)

    def version(self):
        out = subprocess.run([REDIS_SERVER, "--version"], capture_output=True, text=True)
        return out.stdout.strip()

    def stop(self):
        stop_process(self.proc, self.log_file)


class Clients:
    """Loadgen client processes, each from its own 127.0.0.x source address."""

    def __init__(self, port, token, total, procs, deadline, protocol="socketio-ws", reports=(1,),
                 room_size=0, stalled=0.0, churn=0.0, pin=True, arrival=None):
        self.procs, self.lines = [], queue.Queue()
        per_proc = [total // procs + (1 if i < total % procs else 0) for i in range(procs)]
        offset = 0
        for i, count in enumerate(per_proc):
            if count == 0:
                continue
            # Rooms are assigned from each process's own client index, so hand each process the
            # report list rotated to where its first client falls.
            size = room_size or total
            first_room = (offset // size) % len(reports)
            rotated = list(reports[first_room:]) + list(reports[:first_room])
            cmd = [str(LOADGEN), "clients", "--port", str(port), "--token", token,
                   "--clients", str(count), "--protocol", protocol,
                   "--reports", ",".join(map(str, rotated)), "--room-size", str(room_size),
                   "--stalled-fraction", str(stalled), "--sources", f"127.0.0.{2 + i}",
                   "--deadline-ms", str(deadline * 1000)]
            if churn:
                cmd += ["--churn", str(churn)]
            if arrival:
                cmd += ["--arrival", arrival]
            proc = subprocess.Popen(PIN.load_cmd(cmd, pin), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    text=True)
            threading.Thread(target=self._read, args=(i, proc), daemon=True).start()
            self.procs.append(proc)
            offset += count

    def _read(self, index, proc):
        for line in proc.stdout:
            try:
                self.lines.put((index, json.loads(line)))
            except json.JSONDecodeError:
                pass

    def _collect(self, event, timeout):
        got, deadline = {}, time.time() + timeout
        while len(got) < len(self.procs) and time.time() < deadline:
            try:
                index, message = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if message.get("event") == event:
                got[index] = message
        if len(got) < len(self.procs):
            raise RuntimeError(f"only {len(got)}/{len(self.procs)} client processes sent {event}")
        return list(got.values())

    def wait_ready(self, timeout):
        ready = self._collect("ready", timeout)
        joined = sum(r["joined"] for r in ready)
        seconds = max(r["connect_seconds"] for r in ready)
        return {"joined": joined, "failed": sum(r["failed"] for r in ready),
                "stalled": sum(r["stalled"] for r in ready),
                "connect_seconds": seconds, "per_second": joined / max(seconds, 1e-9)}

    def report(self):
        for proc in self.procs:
            try:
                proc.stdin.write("report\n")
                proc.stdin.flush()
            except BrokenPipeError:
                raise RuntimeError(f"a loadgen client process ended (exit code {proc.poll()}; "
                                   "after its --deadline-ms?)")
        reports = self._collect("report", 30)
        return {"deliveries": sum(r["deliveries"] for r in reports),
                "closed": sum(r["closed"] for r in reports),
                "connected": sum(r.get("connected", 0) for r in reports),
                "reconnects": sum(r.get("reconnects", 0) for r in reports),
                "reconnect_failures": sum(r.get("reconnect_failures", 0) for r in reports),
                "latency": merge_latency([r["latency"] for r in reports]),
                "histograms": [r["latency"] for r in reports]}

    def quit(self):
        for proc in self.procs:
            try:
                proc.stdin.write("quit\n")
                proc.stdin.close()
            except OSError:
                pass
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def merge_latency(parts):
    buckets = {}
    for part in parts:
        for edge, count in part["buckets"]:
            buckets[edge] = buckets.get(edge, 0) + count
    total = sum(buckets.values())
    peak = max((p["max_us"] for p in parts), default=0)

    def percentile(q):
        if total == 0:
            return 0
        target, seen = int(q * (total - 1)) + 1, 0
        for edge in sorted(buckets):
            seen += buckets[edge]
            if seen >= target:
                return min(edge, peak)
        return peak

    return {"count": total, "p50_ms": percentile(0.5) / 1000, "p90_ms": percentile(0.9) / 1000,
            "p99_ms": percentile(0.99) / 1000, "max_ms": peak / 1000}


def post(port, token, count, in_flight=1, rate=0, reports=(1,), random=False, path=None,
         deadline=120, pin=True):
    cmd = [str(LOADGEN), "post", "--port", str(port), "--token", token, "--count", str(count),
           "--in-flight", str(in_flight), "--rate", str(rate),
           "--reports", ",".join(map(str, reports)), "--deadline-ms", str(deadline * 1000)]
    if random:
        cmd.append("--random")
    if path:
        cmd += ["--broadcast-path", path]
    out = subprocess.run(PIN.load_cmd(cmd, pin), capture_output=True, text=True, timeout=deadline + 30)
    if not out.stdout.strip():
        raise RuntimeError(f"loadgen post printed nothing (exit code {out.returncode}): "
                           f"{out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def drain(clients, expected, timeout):
    """Reports until `expected` deliveries arrived (or the time is up); merges the reports."""
    total, parts, closed, deadline = 0, [], 0, time.time() + timeout
    while True:
        time.sleep(0.02)
        report = clients.report()
        total += report["deliveries"]
        closed = report["closed"]
        if report["latency"]["count"]:
            parts.append(report)
        if total >= expected or time.time() > deadline:
            break
    return total, closed, parts


def merged(parts):
    if not parts:
        return {"count": 0, "p50_ms": 0, "p90_ms": 0, "p99_ms": 0, "max_ms": 0}
    # Re-merging percentiles is not exact; keep the worst of each report for p99/max and a
    # delivery-weighted mean for p50/p90, which is what the tables show.
    count = sum(p["latency"]["count"] for p in parts)
    weighted = lambda key: sum(p["latency"][key] * p["latency"]["count"] for p in parts) / count
    return {"count": count, "p50_ms": weighted("p50_ms"), "p90_ms": weighted("p90_ms"),
            "p99_ms": max(p["latency"]["p99_ms"] for p in parts),
            "max_ms": max(p["latency"]["max_ms"] for p in parts)}


# ---- servers ----

def start_reportd(workdir, secret, reports=1000, database=None, redis=None, name="reportd", seed=True,
                  recovery=None, pin=True):
    """reportd on SQLite in `workdir`, or on the PostgreSQL URL `database`; with `redis` (a URL),
    through the Redis adapter. `seed`: add the users and reports (once per database).
    `recovery`: RECOVERY_SECONDS (otherwise reportd's default, on)."""
    port = free_port()
    # Every client process comes from one address: lift the per-address session cap above it.
    env = {"DATABASE_URL": database or f"sqlite:{workdir}/reportd.db", "JWT_SECRET": secret,
           "JWT_TTL_SECONDS": "86400", "PORT": str(port), "HOST": "127.0.0.1",
           "MAX_SESSIONS_PER_ADDRESS": "100000"}
    if redis:
        env.update(REDIS_URL=redis, REDIS_PREFIX="bench-reportd")
    if recovery is not None:
        env["RECOVERY_SECONDS"] = str(recovery)
    for user in USERS if seed else []:
        done = subprocess.run([str(REPORTD), "user", "add", "--username", user, "--role", "operator",
                               "--internal", "--password-stdin"], input=PASSWORD + "\n", text=True,
                              env={**os.environ, **env}, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"reportd user add failed on {env['DATABASE_URL']}: "
                               f"{(done.stderr + done.stdout).strip()}")
    server = Server(name, PIN.server_cmd([REPORTD, "serve"], pin), env, port, "/readyz", workdir)
    token = http("POST", f"http://127.0.0.1:{port}/api/auth/login",
                 {"username": USERS[0], "password": PASSWORD})["token"]
    for i in range(reports if seed else 0):
        http("POST", f"http://127.0.0.1:{port}/api/reports",
             {"title": f"bench {i}", "description": "benchmark report"}, token)
    return server, token


def start_node(workdir, secret, reports=1000, database=None, redis=None, name="node", seed=True,
               recovery=None, pin=True):
    """The Node baseline on better-sqlite3 in `workdir`, or on PostgreSQL (pg) at `database`;
    with `redis`, through @socket.io/redis-adapter; with `recovery` (seconds), Socket.IO's
    connection state recovery, in memory (off otherwise: only (h) turns it on)."""
    port = free_port()
    env = {"JWT_SECRET": secret, "PORT": str(port), "JWT_TTL_SECONDS": "86400",
           "RECOVERY_SECONDS": str(recovery or 0)}
    env.update({"DATABASE_URL": database} if database else {"DATABASE_FILE": f"{workdir}/baseline.db"})
    if redis:
        env.update(REDIS_URL=redis, REDIS_PREFIX="bench-node")
    Path(workdir).mkdir(parents=True, exist_ok=True)
    if seed:
        done = subprocess.run(["node", str(BASELINE), "seed", "--users", str(len(USERS)), "--internal",
                               "--prefix", "bench", "--password", PASSWORD, "--reports", str(reports)],
                              env={**os.environ, **env}, cwd=workdir, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"node seed failed: {(done.stderr + done.stdout).strip()}")
    server = Server(name, PIN.server_cmd(["node", BASELINE], pin), env, port, "/healthz", workdir)
    token = http("POST", f"http://127.0.0.1:{port}/api/auth/login",
                 {"username": USERS[0], "password": PASSWORD})["token"]
    return server, token


def start_ceiling(workdir, reports=0, pin=True):
    port = free_port()
    threads = PIN.server_threads(pin)
    cmd = [CEILING, "--port", port] + (["--threads", threads] if threads else [])
    server = Server("ceiling", PIN.server_cmd(cmd, pin), {}, port, "/stats", workdir)
    return server, "none"


# ---- scenarios ----

def scenario_idle(server, token, cfg):
    """(a) On one fresh server, connections are added in batches up to each size in turn and
    none closes before the last size, so memory freed by an earlier size is never reused: the
    memory per connection at a size is the growth since the start over every connection open;
    connections per second is the batch's own rate (with the earlier batches still open)."""
    time.sleep(0.5)
    before = server.rss_kib()
    results, batches, opened, joined = {}, [], 0, 0
    try:
        for size in cfg["idle"]:
            # Each batch lives until the last size is measured.
            batches.append(Clients(server.port, token, size - opened, cfg["client_procs"],
                                   cfg["deadline"] * 2,
                                   protocol="raw-ws" if server.name == "ceiling" else "socketio-ws"))
            ready = batches[-1].wait_ready(cfg["deadline"])
            joined += ready["joined"]
            time.sleep(1.0)
            after = server.rss_kib()
            result = {"clients": size, "batch": size - opened, "joined": joined, "failed": ready["failed"],
                      "connections_per_second": ready["per_second"],
                      "rss_before_mib": before / 1024, "rss_after_mib": after / 1024,
                      "bytes_per_connection": (after - before) * 1024 / max(1, joined)}
            results[f"idle_{size}"], opened = result, size
            log(f"  idle {server.name}: {joined} open, {result['bytes_per_connection']:.0f} bytes each, "
                f"batch of {result['batch']} at {ready['per_second']:.0f}/s")
    finally:
        for batch in batches:
            batch.quit()
    time.sleep(1.0)
    return results


def fanout_steps(server, token, clients, joined, cfg, steps):
    """Each step posts comments in rounds of `in_flight` and waits until every round has reached
    every healthy client before the next, so that latency is the fan-out time of one round and
    not a queue built up by posting faster than the clients can read."""
    results = {}
    for label, count, in_flight in steps:
        clients.report()  # reset the histograms
        cpu = server.cpu_seconds()
        started = time.time()
        posted = failed = delivered = 0
        fanout_seconds, parts, closed = 0.0, [], 0
        for _ in range(max(1, count // in_flight)):
            result = post(server.port, token, in_flight, in_flight,
                          path="/broadcast" if server.name == "ceiling" else None)
            posted, failed = posted + result["posted"], failed + result["failed"]
            got, closed, round_parts = drain(clients, result["posted"] * joined, 20)
            delivered += got
            parts += round_parts
            # The round's last delivery came its maximum latency after the first post.
            fanout_seconds += max((p["latency"]["max_ms"] for p in round_parts), default=0) / 1000
        used = server.cpu_seconds() - cpu
        results[label] = {"posted": posted, "failed_posts": failed, "deliveries": delivered,
                          "expected": posted * joined, "seconds": time.time() - started,
                          "deliveries_per_second": delivered / max(fanout_seconds, 1e-9),
                          "cpu_seconds": used,
                          "cpu_seconds_per_million": used * 1e6 / max(1, delivered),
                          "latency": merged(parts), "closed_clients": closed}
    return results


def scenario_fanout(server, token, cfg, stalled=0.0, steps=None, then=None):
    """(b), or (e) with `stalled`; `then(clients, joined)` runs on the same connections after."""
    size = cfg["slow_clients"] if stalled else cfg["fanout_clients"]
    clients = Clients(server.port, token, size, cfg["client_procs"], cfg["deadline"],
                      protocol="raw-ws" if server.name == "ceiling" else "socketio-ws",
                      stalled=stalled)
    try:
        ready = clients.wait_ready(cfg["deadline"])
        healthy = ready["joined"] - ready["stalled"]
        steps = steps or [("one_at_a_time", cfg["fanout_one"], 1), ("four_in_flight", cfg["fanout_four"], 4)]
        results = {"clients": size, **fanout_steps(server, token, clients, healthy, cfg, steps)}
        if then:
            then(clients, healthy)
        return results
    finally:
        clients.quit()
        time.sleep(1.0)


def rooms_step(server, token, clients, rooms, rate, cfg, steps):
    clients.report()
    count = rate * cfg["step_seconds"]
    posted = post(server.port, token, count, in_flight=64, rate=rate, reports=rooms, random=True,
                  deadline=cfg["step_seconds"] * 3 + 10)
    delivered, _, parts = drain(clients, posted["posted"] * 10, 10)
    latency = merged(parts)
    achieved = posted["posted"] / max(posted["seconds"], 1e-9)
    ok = (posted["failed"] == 0 and achieved >= 0.9 * rate and latency["p99_ms"] < 50
          and delivered >= 0.99 * posted["posted"] * 10)
    steps.append({"rate": rate, "achieved": achieved, "deliveries": delivered,
                  "p99_ms": latency["p99_ms"], "sustained": ok})
    log(f"  rooms {server.name} rate={rate}/s achieved={achieved:.0f}/s "
        f"p99={latency['p99_ms']:.1f}ms ok={ok}")
    return ok


def scenario_rooms(server, token, cfg, then=None):
    """(c), or (f) on PostgreSQL; `then(clients, joined)` runs on the same connections after."""
    rooms = list(range(1, cfg["rooms_clients"] // 10 + 1))
    clients = Clients(server.port, token, cfg["rooms_clients"], cfg["client_procs"], cfg["deadline"],
                      reports=rooms, room_size=10)
    steps, best = [], 0
    try:
        joined = clients.wait_ready(cfg["deadline"])["joined"]
        for rate in cfg["rates"]:
            # A step may fail once by bad luck on this shared machine: it gets a second try
            # before the rate counts as not sustained (for every server alike).
            for _ in range(2):
                ok = rooms_step(server, token, clients, rooms, rate, cfg, steps)
                if ok:
                    break
            if not ok:
                break
            best = rate
        if then:
            time.sleep(1.0)  # what the last, perhaps overloaded, rate left queued
            then(clients, joined)
    finally:
        clients.quit()
        time.sleep(1.0)
    return {"steps": steps, "highest_sustained_rate": best}


def roomsize_sizes(server, cfg):
    """The room sizes of `roomsize` for this server: the ceiling broadcasts to every client and
    has no rooms, so it has only S = all."""
    return [cfg["roomsize_clients"]] if server.name == "ceiling" else cfg["roomsize_sizes"]


def roomsize_step(server, token, clients, joined, size, rooms, cfg):
    """One room size of `roomsize`, on the clients of `rooms` (of `size` each): the same
    `roomsize_deliveries` at every size, as deliveries / size comments posted to the rooms in
    turn, `roomsize_in_flight` at a time; the server's CPU time from the first post to the last
    delivery."""
    clients.report()  # reset the histograms
    cpu, started = server.cpu_seconds(), time.time()
    result = post(server.port, token, max(1, cfg["roomsize_deliveries"] // size), cfg["roomsize_in_flight"],
                  reports=rooms, path="/broadcast" if server.name == "ceiling" else None)
    delivered, closed, parts = drain(clients, result["posted"] * size * joined // (size * len(rooms)), 30)
    used = server.cpu_seconds() - cpu
    step = {"room_size": size, "rooms": len(rooms), "joined": joined,
            "posted": result["posted"], "failed_posts": result["failed"],
            "deliveries": delivered, "expected": result["posted"] * size,
            "seconds": time.time() - started, "cpu_seconds": used,
            "cpu_seconds_per_million": used * 1e6 / max(1, delivered),
            "latency": merged(parts), "closed_clients": closed}
    log(f"  roomsize {server.name} S={size}: {result['posted']} comments, {delivered} deliveries, "
        f"{used:.2f} CPU-s ({step['cpu_seconds_per_million']:.1f} per million)")
    return step


def scenario_roomsize(server, token, cfg, measured):
    """Server CPU per delivery against room size, `roomsize_clients` clients on the server.
    `measured`: the steps already measured on the connections of (b) (S = all) and (c) (S = 10).
    The other sizes share one set of new connections, split evenly between them (rooms of 100 on
    one half, of 1,000 on the other): a comment reaches its own room only, so the clients of the
    other size cost next to nothing meanwhile. A size too large for its share gets all the
    clients to itself, after."""
    total, steps = cfg["roomsize_clients"], dict(measured)
    todo = [size for size in roomsize_sizes(server, cfg) if size not in steps]
    alone = [size for size in todo if size * len(todo) > total]
    together = [size for size in todo if size not in alone]
    for sizes in ([together] if together else []) + [[size] for size in alone]:
        share, groups, first = total // len(sizes), [], 1
        try:
            for size in sizes:
                rooms = list(range(first, first + share // size))
                first += len(rooms)
                groups.append((size, rooms, Clients(
                    server.port, token, share, cfg["client_procs"], cfg["deadline"], reports=rooms,
                    room_size=size, protocol="raw-ws" if server.name == "ceiling" else "socketio-ws")))
            for size, rooms, clients in groups:
                joined = clients.wait_ready(cfg["deadline"])["joined"]
                steps[size] = roomsize_step(server, token, clients, joined, size, rooms, cfg)
        finally:
            for _, _, clients in groups:
                clients.quit()
            time.sleep(1.0)
    return {"clients": total, "steps": [steps[size] for size in sorted(steps)]}


def scenario_polling(server, token, cfg):
    """(d) Twice, each on `polling_clients` fresh clients: a delivery arrives when the client
    process has read the answer, then (the target's measure, on the server warmed by the first)
    when the client's kernel received it (SO_TIMESTAMPNS). The load generator reads the answers
    in series on one core and polls again after each: a server that answers faster than that is
    measured by the first as the generator's own speed.

    The first comment waits PRESENCE_SETTLE after the joins: 1,000 polling clients join within a
    few hundred milliseconds, and reportd tells the room who follows the report (report.viewers,
    an extension Node's baseline lacks) 250 ms after the first join. That announcement belongs to
    the joins; left in, it lands in one of the first rounds and that round's wait for the clients'
    next polls sets the p99."""
    results = {"clients": cfg["polling_clients"]}
    for arrival, label in (("client", "as_read"), ("kernel", "one_at_a_time")):
        clients = Clients(server.port, token, cfg["polling_clients"], cfg["client_procs"],
                          cfg["deadline"], arrival=arrival,
                          protocol="raw-polling" if server.name == "ceiling" else "socketio-polling")
        try:
            ready = clients.wait_ready(cfg["deadline"])
            time.sleep(PRESENCE_SETTLE)
            results.update(fanout_steps(server, token, clients, ready["joined"], cfg,
                                        [(label, cfg["polling_comments"], 1)]))
        finally:
            clients.quit()
            time.sleep(1.0)
    return results


def scenario_cluster(a, b, token, cfg, redis):
    """(g) Two nodes through Redis: clients on node A, in one room. Rounds alternate between a
    comment posted to A (delivered locally: the single-node reference) and one posted to B
    (delivered through Redis), one at a time, each waiting for every delivery, so that both
    paths see the same clients, the same machine state and any drift alike."""
    clients = Clients(a.port, token, cfg["cluster_clients"], cfg["client_procs"], cfg["deadline"], pin=False)
    try:
        joined = clients.wait_ready(cfg["deadline"])["joined"]
        # B's subscription may still be settling: a comment posted to B must reach every client on
        # A (three tries) before anything is measured; otherwise there is no cross-node delivery.
        for attempt in range(3):
            result = post(b.port, token, 1, 1, pin=False)
            got, _, _ = drain(clients, result["posted"] * joined, 5)
            if result["posted"] and got >= joined:
                break
        else:
            raise RuntimeError(f"a comment posted to {b.name} reached {got} of the {joined} clients on "
                               f"{a.name}: no cross-node delivery (does this build support REDIS_URL?)")
        paths = {"single_node": a, "cross_node": b}
        acc = {k: {"posted": 0, "failed": 0, "delivered": 0, "seconds": 0.0, "cpu": 0.0,
                   "histograms": [], "firsts": [], "closed": 0} for k in paths}
        for _ in range(cfg["cluster_comments"]):
            for key, target in paths.items():
                cpu = a.cpu_seconds() + b.cpu_seconds() + redis.cpu_seconds()
                result = post(target.port, token, 1, 1, pin=False)
                got, closed, parts = drain(clients, result["posted"] * joined, 20)
                entry = acc[key]
                entry["cpu"] += a.cpu_seconds() + b.cpu_seconds() + redis.cpu_seconds() - cpu
                entry["posted"] += result["posted"]
                entry["failed"] += result["failed"]
                entry["delivered"] += got
                entry["closed"] = closed
                round_histograms = [h for part in parts for h in part["histograms"]]
                entry["histograms"] += round_histograms
                # The comment's first delivery: the post and the hop, with hardly any fan-out.
                edges = [edge for h in round_histograms for edge, count in h["buckets"] if count]
                if edges:
                    entry["firsts"].append(min(edges) / 1000)
                # The round's last delivery came its maximum latency after the post.
                entry["seconds"] += max((part["latency"]["max_ms"] for part in parts), default=0) / 1000
        results = {"clients": cfg["cluster_clients"], "joined": joined}
        for key, entry in acc.items():
            results[key] = {"posted": entry["posted"], "failed_posts": entry["failed"],
                            "deliveries": entry["delivered"], "expected": entry["posted"] * joined,
                            "deliveries_per_second": entry["delivered"] / max(entry["seconds"], 1e-9),
                            "cpu_seconds": entry["cpu"],
                            "cpu_seconds_per_million": entry["cpu"] * 1e6 / max(1, entry["delivered"]),
                            # One histogram over every round: exact percentiles (to 1.6%).
                            "latency": merge_latency(entry["histograms"]),
                            "first_delivery_median_ms": statistics.median(entry["firsts"] or [0]),
                            "closed_clients": entry["closed"]}
        single, cross = results["single_node"]["latency"], results["cross_node"]["latency"]
        results["added_p50_ms"] = cross["p50_ms"] - single["p50_ms"]
        results["added_p99_ms"] = cross["p99_ms"] - single["p99_ms"]
        results["added_first_delivery_ms"] = (results["cross_node"]["first_delivery_median_ms"]
                                              - results["single_node"]["first_delivery_median_ms"])
        log(f"  cluster {a.name}+{b.name}: single p50={single['p50_ms']:.2f} p99={single['p99_ms']:.2f} ms, "
            f"cross p50={cross['p50_ms']:.2f} p99={cross['p99_ms']:.2f} ms")
        return results
    finally:
        clients.quit()
        time.sleep(1.0)


def scenario_recovery(server, token, cfg):
    """(h) Connection state recovery: `recovery.mjs` (socket.io-client) opens the clients, 10 per
    report, gives each one comment, cuts them all at once, posts `recovery_missed` comments per
    report while they are away and prints "cut"; on "go" they all reconnect at once. The
    server's CPU time is read around that, up to its "recovered" line (every client has what
    it missed, or the time is up); its "result" has the counts, the time and the latency of a
    healthy room posted to at `recovery_rate` per second meanwhile."""
    timeout = cfg["recovery_timeout"]
    deadline = cfg["deadline"] + timeout + 60
    cmd = ["node", str(RECOVERY), "--port", str(server.port), "--token", token,
           "--clients", str(cfg["recovery_clients"]), "--room-size", "10",
           "--missed", str(cfg["recovery_missed"]), "--healthy-clients", str(cfg["recovery_healthy"]),
           "--healthy-rate", str(cfg["recovery_rate"]), "--healthy-quiet-ms", str(cfg["recovery_quiet_ms"]),
           "--procs", str(cfg["recovery_procs"]),
           "--recovery-timeout-ms", str(timeout * 1000), "--deadline-ms", str(deadline * 1000)]
    proc = subprocess.Popen(PIN.load_cmd(cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines = queue.Queue()

    def read():
        for line in proc.stdout:
            try:
                lines.put(json.loads(line))
            except json.JSONDecodeError:
                pass
        lines.put({"event": "error", "error": f"recovery.mjs ended (exit code {proc.wait()})"})

    threading.Thread(target=read, daemon=True).start()

    def expect(event, seconds):
        try:
            message = lines.get(timeout=seconds)
        except queue.Empty:
            raise RuntimeError(f"recovery.mjs: no {event} within {seconds} s")
        if message.get("event") != event:
            raise RuntimeError(f"recovery.mjs: {message.get('error') or message} (waiting for {event})")
        return message

    try:
        cut = expect("cut", deadline)
        cpu = server.cpu_seconds()
        proc.stdin.write("go\n")
        proc.stdin.flush()
        recovered = expect("recovered", timeout + 15)
        used = server.cpu_seconds() - cpu
        result = expect("result", 60)
    finally:
        # (The server is stopped next: no pause for the clients' connections to close.)
        try:
            proc.stdin.close()
        except OSError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    result.pop("event")
    result.update(server_cpu_seconds=used, recovered_event=recovered["all"],
                  cut_posted=cut["posted"], cut_post_seconds=cut["post_seconds"])
    healthy, quiet = result["healthy"], result["healthy_quiet"]
    log(f"  recovery {server.name}: {result['exact']}/{result['clients']} exact, "
        f"{result['recovery_seconds']:.3f} s, server CPU {used:.2f} s, "
        f"healthy p99 {healthy['p99_ms']:.1f} ms ({healthy['deliveries']} deliveries; "
        f"{quiet['p99_ms']:.1f} ms before the cut); "
        f"not recovered {result['not_recovered']}, incomplete {result['incomplete']}, "
        f"duplicates {result['duplicates']}, out of order {result['out_of_order']}, "
        f"rooms lost {result['rooms_lost']}")
    return result


def recovery_failures(result):
    """Clients of (h) that did not end up exactly right, by cause."""
    return {k: result[k] for k in ("failed_to_join", "not_reconnected", "not_recovered", "sid_changed",
                                   "incomplete", "missing", "duplicates", "out_of_order", "foreign",
                                   "unexpected", "rooms_lost", "warm_missing", "posts_failed")}


def run_server(name, starter, cfg, workdir, scenarios, postgres=None, redis=None):
    results = {}
    if "idle" in scenarios:
        log(f"{name}: (a) idle memory with {', '.join(map(str, cfg['idle']))} connections")
        Path(f"{workdir}/idle").mkdir(parents=True)
        server, token = starter(f"{workdir}/idle", reports=1)
        try:
            results.update(scenario_idle(server, token, cfg))
        finally:
            server.stop()
    if {"fanout", "rooms", "polling", "slow", "roomsize"} & set(scenarios):
        log(f"{name}: starting for (b)-(e)")
        Path(f"{workdir}/load").mkdir(parents=True)
        server, token = starter(f"{workdir}/load")
        roomsize = {}

        def roomsize_on(size, total):
            """Lets (b) or (c) measure `roomsize`'s step of `size` on their connections, when
            they are the same clients in the same rooms."""
            if ("roomsize" not in scenarios or total != cfg["roomsize_clients"]
                    or size not in roomsize_sizes(server, cfg)):
                return None
            rooms = list(range(1, total // size + 1))
            return lambda clients, joined: roomsize.update(
                {size: roomsize_step(server, token, clients, joined, size, rooms, cfg)})

        try:
            if "fanout" in scenarios:
                log(f"{name}: (b) fan-out")
                then = roomsize_on(cfg["fanout_clients"], cfg["fanout_clients"])
                results["fanout"] = scenario_fanout(server, token, cfg, then=then)
            if name != "ceiling" and "rooms" in scenarios:
                log(f"{name}: (c) many rooms")
                then = roomsize_on(10, cfg["rooms_clients"])
                results["rooms"] = scenario_rooms(server, token, cfg, then=then)
            if "polling" in scenarios:
                log(f"{name}: (d) long-polling")
                results["polling"] = scenario_polling(server, token, cfg)
            if name != "ceiling" and "slow" in scenarios:
                log(f"{name}: (e) slow consumers")
                results["slow"] = scenario_fanout(server, token, cfg, stalled=0.1,
                                                  steps=[("one_at_a_time", cfg["slow_comments"], 1)])
            if "roomsize" in scenarios:
                log(f"{name}: CPU per delivery against room size")
                results["roomsize"] = scenario_roomsize(server, token, cfg, roomsize)
        finally:
            server.stop()
    if name != "ceiling" and "pg" in scenarios:
        log(f"{name}: (f) many rooms on PostgreSQL")
        server, token = starter(f"{workdir}/pg", reports=cfg["rooms_clients"] // 10,
                                database=postgres.database(f"{name}_rooms"), name=f"{name}-pg")
        try:
            results["pg"] = scenario_rooms(server, token, cfg)
        finally:
            server.stop()
    if name != "ceiling" and "cluster" in scenarios:
        log(f"{name}: (g) two nodes through Redis, one PostgreSQL database")
        database = postgres.database(f"{name}_cluster")
        a, token = starter(f"{workdir}/cluster-a", reports=1, database=database, redis=redis.url,
                           name=f"{name}-a", pin=False)
        try:
            b, _ = starter(f"{workdir}/cluster-b", database=database, redis=redis.url,
                           name=f"{name}-b", seed=False, pin=False)
            try:
                results["cluster"] = scenario_cluster(a, b, token, cfg, redis)
            finally:
                b.stop()
        finally:
            a.stop()
    if name != "ceiling" and "recovery" in scenarios:
        log(f"{name}: (h) connection state recovery")
        # A fresh server, with recovery on (the Node baseline has it only here): one report per
        # 10 clients and the healthy room's.
        Path(f"{workdir}/recovery").mkdir(parents=True)
        server, token = starter(f"{workdir}/recovery", reports=-(-cfg["recovery_clients"] // 10) + 1,
                                name=f"{name}-recovery", recovery=600)
        try:
            results["recovery"] = scenario_recovery(server, token, cfg)
        finally:
            server.stop()
    return results


# ---- report ----

def versions():
    def output(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"
    npm = lambda name: json.loads((ROOT / f"node_modules/{name}/package.json").read_text())["version"]
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    return {"reportd commit": output(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"]),
            "compiler": output(["c++", "--version"]), "node": output(["node", "--version"]),
            "socket.io": npm("socket.io"), "pg (npm)": npm("pg"),
            "@socket.io/redis-adapter": npm("@socket.io/redis-adapter"), "redis (npm)": npm("redis"),
            "cpu": f"{os.cpu_count()} x {cpu}",
            "memory": f"{int(mem) // 1024 // 1024} GiB", "kernel": platform.release()}


def ratio(a, b):
    # Only a ratio of two positive values means something (an added latency may come out <= 0).
    return a / b if a is not None and b is not None and a > 0 and b > 0 else float("nan")


def advantage(better, value, other):
    """How many times better `value` is than `other` (above 1: better); nan when not comparable."""
    return ratio(value, other) if better == "higher" else ratio(other, value)


def comparison_rows(results, cfg):
    """The rows of the report's main table, each a dict: metric, the servers' values (None: not
    measured), which way is better, and for a target its text and whether this run met it
    (issue 13's targets). spread.py reads the same rows from several runs."""
    r, n, c = results["reportd"], results["node"], results.get("ceiling", {})
    rows = []

    def row(metric, rv, nv, cv=None, better="higher", target=None, met=None, fmt="{:.1f}"):
        rows.append({"metric": metric, "reportd": rv, "node": nv, "ceiling": cv, "better": better,
                     "target": target, "met": met, "fmt": fmt})

    for size in cfg.get("idle_targets", cfg["idle"]):
        key = f"idle_{size}"
        rb, nb = r[key]["bytes_per_connection"], n[key]["bytes_per_connection"]
        row(f"(a) memory per connection at {size}, bytes", rb, nb,
            c.get(key, {}).get("bytes_per_connection"), better="lower", target="≤ 1/5 of Node",
            met=rb * 5 <= nb, fmt="{:.0f}")
        rc, nc = r[key]["connections_per_second"], n[key]["connections_per_second"]
        row(f"(a) connections per second at {size}", rc, nc, c.get(key, {}).get("connections_per_second"),
            target="≥ 10x Node", met=rc >= 10 * nc, fmt="{:.0f}")
    for step in ("one_at_a_time", "four_in_flight"):
        rs, ns = r["fanout"][step], n["fanout"][step]
        cs = c.get("fanout", {}).get(step)
        row(f"(b) {step}: deliveries per second", rs["deliveries_per_second"], ns["deliveries_per_second"],
            cs and cs["deliveries_per_second"], fmt="{:.0f}")
        rcpu, ncpu = rs["cpu_seconds_per_million"], ns["cpu_seconds_per_million"]
        # Fan-out is bound by the kernel's cost per send: the target is never to cost more or be
        # slower than the bare broadcaster, not a multiple of Node.
        row(f"(b) {step}: server CPU-s per million deliveries", rcpu, ncpu,
            cs and cs["cpu_seconds_per_million"], better="lower", target="≤ ceiling's",
            met=None if cs is None else rcpu <= cs["cpu_seconds_per_million"])
        for q in ("p50_ms", "p99_ms", "max_ms"):
            row(f"(b) {step}: latency {q[:-3]}, ms", rs["latency"][q], ns["latency"][q],
                cs and cs["latency"][q], better="lower",
                target="≤ ceiling's" if q == "p99_ms" else None,
                met=(rs["latency"][q] <= cs["latency"][q]) if q == "p99_ms" and cs else None, fmt="{:.2f}")
    rr, nr = r["rooms"]["highest_sustained_rate"], n["rooms"]["highest_sustained_rate"]
    row("(c) highest comments/s with p99 < 50 ms (1,000 rooms of 10)", rr, nr,
        target="≥ 10x Node", met=rr >= 10 * nr if nr else None, fmt="{:.0f}")
    rp, np_ = r["polling"]["one_at_a_time"], n["polling"]["one_at_a_time"]
    # (the ceiling answered no polls before 2026-11-30's twentieth run)
    cp, ca = (c.get("polling", {}).get(step) for step in ("one_at_a_time", "as_read"))
    row("(d) long-polling: deliveries per second", rp["deliveries_per_second"], np_["deliveries_per_second"],
        cp and cp["deliveries_per_second"], target="≥ 2x Node at no worse p99", fmt="{:.0f}",
        met=(rp["deliveries_per_second"] >= 2 * np_["deliveries_per_second"]
             and rp["latency"]["p99_ms"] <= np_["latency"]["p99_ms"]))
    row("(d) long-polling: latency p99, ms", rp["latency"]["p99_ms"], np_["latency"]["p99_ms"],
        cp and cp["latency"]["p99_ms"], better="lower", fmt="{:.2f}")
    if "as_read" in r["polling"]:  # (runs before 2026-11-30's eleventh measured (d) once)
        ra, na = r["polling"]["as_read"], n["polling"]["as_read"]
        row("(d) as the clients read it: deliveries per second", ra["deliveries_per_second"],
            na["deliveries_per_second"], ca and ca["deliveries_per_second"], fmt="{:.0f}")
        row("(d) as the clients read it: latency p99, ms", ra["latency"]["p99_ms"],
            na["latency"]["p99_ms"], ca and ca["latency"]["p99_ms"], better="lower", fmt="{:.2f}")
    rslow, nslow = r["slow"]["one_at_a_time"], n["slow"]["one_at_a_time"]
    base = r["fanout"]["one_at_a_time"]["latency"]["p99_ms"]
    row("(e) slow consumers: healthy clients' p99, ms", rslow["latency"]["p99_ms"],
        nslow["latency"]["p99_ms"], better="lower", target="within 2x of (b)",
        met=rslow["latency"]["p99_ms"] <= 2 * max(base, 0.001), fmt="{:.2f}")
    rf, nf = r["pg"]["highest_sustained_rate"], n["pg"]["highest_sustained_rate"]
    row("(f) highest comments/s with p99 < 50 ms on PostgreSQL (1,000 rooms of 10)", rf, nf,
        target="≥ 10x Node", met=rf >= 10 * nf if nf else None, fmt="{:.0f}")
    rg, ng = r["cluster"], n["cluster"]
    for key, label in (("cross_node", "cross-node"), ("single_node", "single-node, same run")):
        row(f"(g) {label}: deliveries per second", rg[key]["deliveries_per_second"],
            ng[key]["deliveries_per_second"], fmt="{:.0f}")
    row("(g) cross-node / single-node deliveries per second",
        ratio(rg["cross_node"]["deliveries_per_second"], rg["single_node"]["deliveries_per_second"]),
        ratio(ng["cross_node"]["deliveries_per_second"], ng["single_node"]["deliveries_per_second"]),
        fmt="{:.2f}")
    row("(g) cross-node: CPU-s per million deliveries (both nodes and Redis)",
        rg["cross_node"]["cpu_seconds_per_million"], ng["cross_node"]["cpu_seconds_per_million"],
        better="lower", fmt="{:.1f}")
    for q in ("p50", "p99"):
        row(f"(g) cross-node latency {q}, ms", rg["cross_node"]["latency"][f"{q}_ms"],
            ng["cross_node"]["latency"][f"{q}_ms"], better="lower", fmt="{:.2f}")
        row(f"(g) latency {q} added by the Redis hop (cross-node − single-node), ms",
            rg[f"added_{q}_ms"], ng[f"added_{q}_ms"], better="lower", fmt="{:.2f}")
    row("(g) first delivery of a comment (median) added by the Redis hop, ms",
        rg["added_first_delivery_ms"], ng["added_first_delivery_ms"], better="lower", fmt="{:.2f}")
    rh, nh = r["recovery"], n["recovery"]
    count = rh["clients"]
    row(f"(h) recovery: clients back with every missed comment once, in order (of {count:,})",
        rh["exact"], nh["exact"], target=f"all {count:,}", met=rh["exact"] == count, fmt="{:.0f}")
    # A time that ran into the timeout is no time to compare: shown as –.
    row(f"(h) recovery: time until every client has its {rh['missed_per_report']} missed comments, s",
        rh["recovery_seconds"] if rh["all_done"] else None,
        nh["recovery_seconds"] if nh["all_done"] else None, better="lower", fmt="{:.2f}")
    row("(h) recovery: server CPU-s, trigger to the last client done", rh["server_cpu_seconds"],
        nh["server_cpu_seconds"], better="lower", fmt="{:.2f}")
    row(f"(h) healthy room during the recovery ({rh['healthy']['rate']} comments/s): p99, ms",
        rh["healthy"]["p99_ms"], nh["healthy"]["p99_ms"], better="lower", fmt="{:.1f}")
    row("(h) healthy room before the cut (all connected, idle): p99, ms",
        rh["healthy_quiet"]["p99_ms"], nh["healthy_quiet"]["p99_ms"], better="lower", fmt="{:.1f}")
    return rows


def table_line(row):
    """One row of comparison_rows as a line of the main table."""
    f = lambda v: "–" if v is None else row["fmt"].format(v)
    vs_node = advantage(row["better"], row["reportd"], row["node"])
    # Against the ceiling: the share of the ceiling's performance that reportd reaches.
    vs_ceiling = ("–" if row["ceiling"] is None
                  else f"{advantage(row['better'], row['reportd'], row['ceiling']):.2f}")
    vs_node = "–" if math.isnan(vs_node) else f"{vs_node:.2f}x"
    met = "" if row["met"] is None else ("yes" if row["met"] else "**no**")
    return (f"| {row['metric']} | {f(row['reportd'])} | {f(row['node'])} | {f(row['ceiling'])} | "
            f"{vs_node} | {vs_ceiling} | {row['target'] or ''} | {met} |")


def write_report(results, cfg, out, smoke, elapsed, infra):
    """The report `out` (.md) with its charts beside it, and the raw results as `out`.json,
    which spread.py reads."""
    rows = [table_line(row) for row in comparison_rows(results, cfg)]
    raw, machine = out.with_suffix(".json"), versions()
    raw.write_text(json.dumps({"kind": "reportd-bench", "date": datetime.date.today().isoformat(),
                               "finished": time.time(), "smoke": smoke, "elapsed_seconds": elapsed,
                               "pinning": {"note": PIN.note, "server_cpus": PIN.server,
                                           "load_cpus": PIN.load},
                               "config": cfg, "versions": machine, "infra": infra, "results": results},
                              indent=1))

    stem = out.with_suffix("")
    charts = draw_charts(results, cfg, stem)
    lines = [f"# Benchmark results {datetime.date.today().isoformat()}{' (smoke run)' if smoke else ''}", "",
             "reportd against the same API on Node.js `socket.io` and against a bare Beast WebSocket",
             "broadcaster (the ceiling), in one run on one machine. \"reportd vs Node\" is reportd's",
             "advantage (above 1: reportd is better); \"reportd/ceiling\" is the share of the ceiling's",
             "performance that reportd reaches. Produced by `make bench` (`bench/run.py`).", "",
             "| metric | reportd | Node | ceiling | reportd vs Node | reportd/ceiling | target | met |",
             "|---|---|---|---|---|---|---|---|", *rows, "",
             "Server CPU is the server process's user+system time during the step, so it includes",
             "the kernel's cost of sending on loopback.", "", *pinning_notes(), "",
             "(f) is (c) with each server on a fresh database of one throwaway PostgreSQL cluster on",
             "this machine (default settings: fsync and synchronous commits on): reportd with",
             "`DATABASE_URL=postgres://…` and its default pool (`DATABASE_POOL_SIZE`), the Node",
             "baseline with `pg` (a `pg.Pool` of 10 connections, named parameterized queries).", "",
             "(g) runs two nodes of each server, one PostgreSQL database per pair and one Redis:",
             f"{cfg['cluster_clients']:,} clients in one room on node A; {cfg['cluster_comments']} "
             "comments posted to node B (cross-node, through",
             "Redis) alternate with as many posted to node A (single-node, the same nodes and clients),",
             "one at a time. \"Added\" latency is the cross-node value minus the single-node one of the",
             "same run; the first delivery of a comment (the median over comments) is the post and the",
             "hop with hardly any fan-out in it, so it shows the hop most directly. An added value at or",
             "below zero means the hop is lost in the noise, and then no ratio is given.", "",
             f"What a {os.cpu_count()}-core machine can show for (g): both nodes, Redis, PostgreSQL and the load",
             "generator share the same cores, so (g) shows the latency that the Redis hop adds and its",
             "cost in CPU and throughput relative to one node. It cannot show scale-out throughput: a",
             "second node adds no cores here, and every delivery still leaves node A; that needs the",
             "nodes on separate machines.", "",
             *recovery_notes(results, cfg),
             f"Total run time: {elapsed / 60:.1f} minutes.", ""]
    for chart in charts:
        lines.append(f"![{chart.stem}]({chart.name})")
    lines += ["", *scaling_section(results, cfg, stem)]
    lines += ["", "## Machine and versions", ""]
    lines += [f"- {k}: {v}" for k, v in {**machine, **infra}.items()]
    lines += ["", f"Raw results (`bench/spread.py` reads them): [{raw.name}]({raw.name})", ""]
    out.write_text("\n".join(lines))
    log(f"wrote {out}")


def pinning_notes():
    """What ran on which CPU, for the report."""
    if not PIN.server:
        return [f"Pinning: {PIN.note}; the servers and the load generator share the "
                f"{len(os.sched_getaffinity(0))} CPU(s)."]
    server, load = Pinning.cpu_list(PIN.server), Pinning.cpu_list(PIN.load)
    return [f"Pinning (`taskset`): in (a)-(e), the room-size scenario and (h) the server under test "
            f"runs on CPU {server} (reportd's default and the ceiling with `--threads "
            f"{len(PIN.server)}`: one",
            "network thread per core it has) and every load generator",
            f"process (loadgen's clients and poster, `recovery.mjs`) on CPU {load}. (f) pins the "
            "server and the load generator the same way,",
            "but not PostgreSQL, which may run on either. (g) pins nothing: both nodes, Redis, "
            "PostgreSQL and the load generator share every CPU.",
            "Seeding users and reports, run before a measurement, is not pinned."]


def scaling_section(results, cfg, stem):
    """How cost grows: RSS against connections, CPU per delivery against room size and p99
    against comments per second, as one chart beside the report and as tables."""
    names = [n for n in ("reportd", "node", "ceiling") if n in results]
    chart = draw_scaling_chart(results, cfg, stem)
    lines = ["## How cost grows", ""]
    if chart:
        lines += [f"![{chart.stem}]({chart.name})", ""]
    f = lambda v, fmt: "–" if v is None else fmt.format(v)
    lines += ["RSS against connections ((a): batches of new connections added to one fresh server, "
              "none closed until the last size;",
              "RSS is the growth since before the first connection; connections per second is each "
              "batch's own rate):", "",
              "| connections | " + " | ".join(f"{n} RSS growth, MiB | {n} bytes per connection | "
                                             f"{n} connections/s" for n in names) + " |",
              "|---|" + "---|---|---|" * len(names)]
    for size in cfg["idle"]:
        cells = []
        for name in names:
            idle = results[name].get(f"idle_{size}")
            cells += [f(idle and idle["rss_after_mib"] - idle["rss_before_mib"], "{:.1f}"),
                      f(idle and idle["bytes_per_connection"], "{:.0f}"),
                      f(idle and idle["connections_per_second"], "{:.0f}")]
        lines.append(f"| {size:,} | " + " | ".join(cells) + " |")
    steps = {n: {s["room_size"]: s for s in results[n].get("roomsize", {}).get("steps", [])} for n in names}
    lines += ["", f"Server CPU per delivery against room size: {cfg['roomsize_clients']:,} clients on the "
              f"server, the same {cfg['roomsize_deliveries']:,} deliveries at every size S",
              f"(deliveries / S comments posted to the rooms in turn, {cfg['roomsize_in_flight']} at a "
              "time). All in one room and rooms of 10 are measured on the connections of (b)",
              "and of (c), after them; the other sizes share one set of new connections, split evenly "
              "between them (a comment reaches only its own room).",
              "The ceiling only broadcasts to every client: it has the largest size only.", "",
              "| room size | rooms | deliveries | " + " | ".join(f"{n} CPU-s per million deliveries"
                                                        for n in names) + " | reportd vs Node |",
              "|---|---|---|" + "---|" * len(names) + "---|"]
    for size in cfg["roomsize_sizes"]:
        cpu = {n: steps[n][size]["cpu_seconds_per_million"] if size in steps[n] else None for n in names}
        step = next((steps[n][size] for n in names if size in steps[n]), {})
        vs_node = advantage("lower", cpu.get("reportd"), cpu.get("node"))
        lines.append(f"| {size:,} | {f(step.get('rooms'), '{:,}')} | {f(step.get('deliveries'), '{:,}')} | "
                     + " | ".join(f(cpu[n], "{:.1f}") for n in names)
                     + f" | {'–' if math.isnan(vs_node) else f'{vs_node:.2f}x'} |")
    rates = {n: last_step_per_rate(results[n]["rooms"]["steps"]) for n in ("reportd", "node")
             if "rooms" in results.get(n, {})}
    lines += ["", f"p99 against comments per second ((c): {cfg['rooms_clients'] // 10:,} rooms of 10; "
              "each rate's last try; the run stops at the first rate not sustained):", "",
              "| comments/s asked | " + " | ".join(f"{n} achieved/s | {n} p99, ms" for n in rates) + " |",
              "|---|" + "---|---|" * len(rates)]
    for rate in cfg["rates"]:
        if not any(rate in by_rate for by_rate in rates.values()):
            continue
        cells = []
        for by_rate in rates.values():
            step = by_rate.get(rate)
            cells += [f(step and step["achieved"], "{:.0f}"), f(step and step["p99_ms"], "{:.1f}")]
        lines.append(f"| {rate:,} | " + " | ".join(cells) + " |")
    return lines


def last_step_per_rate(steps):
    """The steps of (c) by asked rate, a retried rate's last try only."""
    return {step["rate"]: step for step in steps}


def recovery_notes(results, cfg):
    """The paragraph of the report on (h), with every failure count of both servers."""
    rh, nh = results["reportd"]["recovery"], results["node"]["recovery"]
    failures = ", ".join(f"{k.replace('_', ' ')} {rh[k]} / {nh[k]}"
                         for k in recovery_failures(rh))
    return [
        f"(h) {rh['clients']:,} clients of the official `socket.io-client` (Node.js, in "
        f"`bench/recovery.mjs`: {rh['procs']} child process at nice 10, WebSocket only,",
        "`reconnectionDelay` 100 ms, `reconnectionDelayMax` 200 ms, `randomizationFactor` 0) follow "
        f"{rh['reports']} reports, 10 each, and have each received one",
        "comment. All are cut at once (`socket.io.engine.close()`, with reconnection held off), "
        f"{rh['missed_per_report']} comments per report are posted over REST",
        "meanwhile, then all reconnect at once (reconnection back on and `socket.connect()`: the "
        "client sends its `pid` and offset by itself).",
        "Time and server CPU run from that trigger until every client holds what it missed. A "
        "client counts as back when `socket.recovered` is true",
        "and it has its socket id and exactly its missed comments, each once, in commit order; one "
        "comment per report afterwards checks its rooms.",
        "reportd has recovery on by default (`RECOVERY_SECONDS=600`: sessions and replay from its "
        "database); the Node baseline gets `connectionStateRecovery`",
        "(`maxDisconnectionDuration` 600 s, in its memory) in this scenario only. The healthy room: "
        f"{rh['healthy']['clients']} clients of another report in the helper's parent",
        f"process, a comment every {1000 / rh['healthy']['rate']:.0f} ms from the trigger until "
        "the recovery is over; latency = receive − post time in that process, so it includes",
        "the REST post; the same for a moment before the cut is its reference. The clients need "
        "more CPU than either server (`client_cpu_seconds` in the raw",
        "results), so on this machine the time is partly the clients' own; the server CPU is the "
        "server's alone.",
        f"Failures (reportd / Node): {failures}.", ""]


def draw_charts(results, cfg, stem):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("matplotlib missing: no charts")
        return []
    names = [n for n in ("reportd", "node", "ceiling") if n in results]
    charts = []
    fig, ax = plt.subplots(figsize=(7, 4))
    quantiles = ["p50_ms", "p90_ms", "p99_ms", "max_ms"]
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        lat = results[name]["fanout"]["one_at_a_time"]["latency"]
        ax.bar([q + i * width for q in range(len(quantiles))], [lat[k] for k in quantiles], width, label=name)
    ax.set_xticks([q + width * (len(names) - 1) / 2 for q in range(len(quantiles))])
    ax.set_xticklabels([k[:-3] for k in quantiles])
    ax.set_ylabel("ms")
    ax.set_yscale("log")
    ax.set_title(f"(b) fan-out latency, {cfg['fanout_clients']} clients, one comment at a time")
    ax.legend()
    path = Path(f"{stem}-latency.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    charts.append(path)

    fig, ax = plt.subplots(figsize=(7, 4))
    sizes = cfg["idle"]
    for i, name in enumerate(names):
        ax.bar([s + i * width for s in range(len(sizes))],
               [results[name][f"idle_{size}"]["bytes_per_connection"] / 1024 for size in sizes],
               width, label=name)
    ax.set_xticks([s + width * (len(names) - 1) / 2 for s in range(len(sizes))])
    ax.set_xticklabels([f"{s} connections" for s in sizes])
    ax.set_ylabel("KiB per connection")
    ax.set_title("(a) resident memory per idle connection")
    ax.legend()
    path = Path(f"{stem}-memory.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    charts.append(path)
    return charts


def draw_scaling_chart(results, cfg, stem):
    """One figure, three panels: RSS against connections, CPU per delivery against room size,
    p99 against comments per second. None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    names = [n for n in ("reportd", "node", "ceiling") if n in results]
    fig, (memory, cpu, latency) = plt.subplots(1, 3, figsize=(16, 4.5))
    for name in names:
        idle = [results[name][f"idle_{s}"] for s in cfg["idle"] if f"idle_{s}" in results[name]]
        memory.plot([i["clients"] for i in idle], [i["rss_after_mib"] - i["rss_before_mib"] for i in idle],
                    marker="o", label=name)
        steps = results[name].get("roomsize", {}).get("steps", [])
        cpu.plot([s["room_size"] for s in steps], [s["cpu_seconds_per_million"] for s in steps],
                 marker="o", label=name if len(steps) > 1 else f"{name} (broadcast to all only)")
        if "rooms" in results[name]:
            by_rate = last_step_per_rate(results[name]["rooms"]["steps"])
            latency.plot(list(by_rate), [s["p99_ms"] for s in by_rate.values()], marker="o", label=name)
    memory.set(title="(a) RSS against idle connections", xlabel="connections", ylabel="RSS growth, MiB")
    cpu.set(title=f"server CPU per delivery, {cfg['roomsize_clients']:,} clients", xlabel="room size",
            ylabel="CPU-s per million deliveries", xscale="log", yscale="log")
    latency.axhline(50, color="grey", linestyle="--", linewidth=1, label="50 ms")
    latency.set(title="(c) p99 against comments per second", xlabel="comments/s asked",
                ylabel="p99, ms", xscale="log", yscale="log")
    for ax in (memory, cpu, latency):
        ax.grid(True, alpha=0.3)
        ax.legend()
    path = Path(f"{stem}-scaling.png")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def unused_report_name(folder, date):
    """<date>.md, or <date>-2.md, -3 … when a run of that day is there already, so that
    repeated runs (for spread.py) keep their own files."""
    for n in range(1, 1000):
        path = folder / (f"{date}.md" if n == 1 else f"{date}-{n}.md")
        if not path.exists():
            return path
    raise RuntimeError(f"no free report name for {date} in {folder}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the harness")
    parser.add_argument("--out", type=Path, help="report file (default bench/results/<date>.md)")
    parser.add_argument("--servers", default="reportd,node,ceiling",
                        help="a subset of reportd,node,ceiling (the report needs all three)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help=f"a subset of {','.join(SCENARIOS)} (the report needs all)")
    parser.add_argument("--no-pin", action="store_true",
                        help="let the servers and the load generator share every CPU (no taskset)")
    parser.add_argument("--fanout-clients", type=int, help="clients in the one room of (b)")
    parser.add_argument("--recovery-clients", type=int, help="recovering clients in (h)")
    parser.add_argument("--recovery-procs", type=int, choices=range(1, 5),
                        help="client processes of (h) (besides the one of the healthy room)")
    args = parser.parse_args()
    global PIN
    PIN = Pinning(wanted=not args.no_pin)
    log(f"pinning: {PIN.note}")
    cfg = dict(SMOKE if args.smoke else FULL)
    if args.fanout_clients:
        cfg["fanout_clients"] = args.fanout_clients
    if args.recovery_clients:
        cfg["recovery_clients"] = args.recovery_clients
    if args.recovery_procs:
        cfg["recovery_procs"] = args.recovery_procs
    servers = args.servers.split(",")
    scenarios = args.scenarios.split(",")
    unknown = set(scenarios) - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenarios: {','.join(sorted(unknown))}")
    out = args.out or unused_report_name(ROOT / "bench/results", datetime.date.today().isoformat())
    out.parent.mkdir(parents=True, exist_ok=True)
    for tool in (REPORTD, LOADGEN, CEILING):
        if not tool.exists():
            sys.exit(f"{tool} is missing: run make build first")
    secret = secrets.token_hex(32)
    results = {}
    started = time.time()
    postgres = redis = None
    with tempfile.TemporaryDirectory(prefix="reportd-bench-") as workdir:
        try:
            if {"reportd", "node"} & set(servers) and {"pg", "cluster"} & set(scenarios):
                postgres = Postgres()
                log(f"PostgreSQL on 127.0.0.1:{postgres.port} in {postgres.dir}")
            if {"reportd", "node"} & set(servers) and "cluster" in scenarios:
                redis = Redis(Path(workdir) / "redis")
                log(f"Redis on {redis.url}")
            for name, starter in (("reportd", lambda d, **kw: start_reportd(d, secret, **kw)),
                                  ("node", lambda d, **kw: start_node(d, secret, **kw)),
                                  ("ceiling", start_ceiling)):
                if name in servers:
                    results[name] = run_server(name, starter, cfg, str(Path(workdir) / name), scenarios,
                                               postgres, redis)
            infra = {"postgresql": postgres and postgres.version(), "redis": redis and redis.version()}
        finally:
            if redis:
                redis.stop()
            if postgres:
                postgres.stop()
    elapsed = time.time() - started
    if len(results) == 3 and set(scenarios) == set(SCENARIOS):
        write_report(results, cfg, out, args.smoke, elapsed, infra)
    else:
        print(json.dumps(results, indent=1))
    problems = []
    for name, result in results.items():
        for scenario, step in (("fanout", "one_at_a_time"), ("polling", "one_at_a_time"),
                               ("polling", "as_read")):
            if scenario in result and result[scenario][step]["deliveries"] == 0:
                problems.append(f"{name}: no deliveries in {scenario} ({step})")
        if "pg" in result and not any(step["deliveries"] for step in result["pg"]["steps"]):
            problems.append(f"{name}: no deliveries in pg")
        if "cluster" in result and result["cluster"]["cross_node"]["deliveries"] == 0:
            problems.append(f"{name}: no deliveries in cluster")
        if "recovery" in result and result["recovery"]["exact"] == 0:
            problems.append(f"{name}: no client recovered in recovery")
    log(f"done in {elapsed:.0f} s")
    if problems:
        sys.exit("; ".join(problems))


if __name__ == "__main__":
    main()
