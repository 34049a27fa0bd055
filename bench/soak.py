#!/usr/bin/python3
"""Soak: holds many signed-in, joined WebSocket connections to reportd for a long time, with churn
and a steady comment rate, and watches the server for leaks.

    /usr/bin/python3 bench/soak.py                 # make soak: 19,000 connections, 30 minutes
    SOAK_MINUTES=2 /usr/bin/python3 bench/soak.py  # a short trial

19,000 clients (in rooms of 10, from 4 loadgen processes on 127.0.0.2-5) connect; then, for
SOAK_MINUTES, 1% of them drop their connection and reconnect every second (SOAK_CHURN) while
comments are posted at SOAK_RATE per second to random rooms. Every SOAK_SAMPLE_SECONDS the
server's RSS, open descriptors (/proc/<pid>/fd) and CPU time are read and the clients report
the comment-delivery latency (poster's clock stamp to arrival). The first SOAK_WARMUP_MINUTES
(default a sixth of the run, at most 5) are warm-up: allocator pools and caches fill. RSS growth
is the median of the last minute against the median of the first minute after warm-up; the
target is under 5%. Writes bench/results/soak-<date>.md and a chart beside it.
"""

import argparse
import datetime
import json
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import run as bench  # bench/run.py: servers, loadgen clients and poster, latency merging

ROOM_SIZE = 10
CLIENT_PROCS = 4
RSS_TARGET_PERCENT = 5.0


def env_number(name, default, kind=float):
    return kind(os.environ.get(name, default))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=env_number("SOAK_MINUTES", 30),
                        help="steady-state duration after the clients are connected (SOAK_MINUTES)")
    parser.add_argument("--connections", type=int, default=env_number("SOAK_CONNECTIONS", 19_000, int))
    parser.add_argument("--churn", type=float, default=env_number("SOAK_CHURN", 0.01),
                        help="fraction of the connections that reconnect per second")
    parser.add_argument("--rate", type=float, default=env_number("SOAK_RATE", 50),
                        help="comments per second")
    parser.add_argument("--sample-seconds", type=float, default=env_number("SOAK_SAMPLE_SECONDS", 10))
    parser.add_argument("--warmup-minutes", type=float, default=os.environ.get("SOAK_WARMUP_MINUTES"))
    parser.add_argument("--out", type=Path, help="report file (default bench/results/soak-<date>.md)")
    args = parser.parse_args()
    if args.warmup_minutes is None:
        args.warmup_minutes = min(5.0, args.minutes / 6)
    args.warmup_minutes = float(args.warmup_minutes)
    return args


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def post_interval(server, token, rooms, rate, seconds):
    """Posts comments for about `seconds` at `rate`, to rooms chosen at random (the poster's
    generator is seeded, so the list is rotated to spread the comments over every room)."""
    start = secrets.randbelow(len(rooms))
    rotated = rooms[start:] + rooms[:start]
    count = max(1, round(rate * seconds))
    return bench.post(server.port, token, count, in_flight=4, rate=rate, reports=rotated,
                      random=True, deadline=int(seconds * 3) + 10)


def soak(args, server, token):
    rooms = list(range(1, args.connections // ROOM_SIZE + 1))
    samples, error = [], None
    started = time.time()
    rss_idle = server.rss_kib()
    clients = bench.Clients(server.port, token, args.connections, CLIENT_PROCS,
                            deadline=int(args.minutes * 60 + 600), reports=rooms,
                            room_size=ROOM_SIZE, churn=args.churn)
    try:
        ready = clients.wait_ready(300)
        bench.log(f"{ready['joined']} joined ({ready['failed']} failed) in "
                  f"{ready['connect_seconds']:.1f} s; RSS {server.rss_kib() / 1024:.0f} MiB")
        clients.report()  # start the histograms now
        steady_from = time.time()
        cpu = server.cpu_seconds()
        end = steady_from + args.minutes * 60
        while time.time() < end:
            if server.proc.poll() is not None:
                # Keep what was sampled: the chart shows what led up to it.
                error = f"reportd exited with {server.proc.returncode} after {len(samples)} samples"
                bench.log(error)
                break
            began = time.time()
            posted = post_interval(server, token, rooms, args.rate, args.sample_seconds)
            time.sleep(max(0.0, args.sample_seconds - (time.time() - began)))
            report = clients.report()
            now, cpu_now = time.time(), server.cpu_seconds()
            sample = {"minute": (now - steady_from) / 60, "rss_mib": server.rss_kib() / 1024,
                      "fds": fd_count(server.proc.pid), "connected": report["connected"],
                      "reconnects": report["reconnects"],
                      "reconnect_failures": report["reconnect_failures"],
                      "closed": report["closed"], "posted": posted["posted"],
                      "failed_posts": posted["failed"], "deliveries": report["deliveries"],
                      "p50_ms": report["latency"]["p50_ms"], "p99_ms": report["latency"]["p99_ms"],
                      "max_ms": report["latency"]["max_ms"],
                      "cpu_percent": 100 * (cpu_now - cpu) / max(now - began, 1e-9),
                      "load": os.getloadavg()[0],
                      "histograms": report["histograms"]}
            cpu = cpu_now
            samples.append(sample)
            bench.log(f"  {sample['minute']:5.1f} min: RSS {sample['rss_mib']:.1f} MiB, "
                      f"{sample['fds']} fds, {sample['connected']} connected, "
                      f"{sample['reconnects']} reconnects, p99 {sample['p99_ms']:.1f} ms, "
                      f"CPU {sample['cpu_percent']:.0f}%")
    finally:
        clients.quit()
    return {"ready": ready, "rss_idle_mib": rss_idle / 1024, "samples": samples, "error": error,
            "connect_minutes": (steady_from - started) / 60}


def summarize(args, result):
    samples = result["samples"]
    warm = [s for s in samples if s["minute"] > args.warmup_minutes]
    if not warm:
        raise RuntimeError("no samples after warm-up: run longer than the warm-up")
    # A minute at each end, or a quarter of a short run, so that the two never overlap.
    window = min(1.0, (warm[-1]["minute"] - warm[0]["minute"]) / 4)
    first = [s["rss_mib"] for s in warm if s["minute"] <= warm[0]["minute"] + window]
    last = [s["rss_mib"] for s in warm if s["minute"] >= warm[-1]["minute"] - window]
    baseline, final = statistics.median(first), statistics.median(last)
    minutes = [s["minute"] for s in warm]
    slope = (statistics.linear_regression(minutes, [s["rss_mib"] for s in warm]).slope * 60
             if len(warm) > 1 else 0.0)
    latency = bench.merge_latency([h for s in warm for h in s["histograms"]])
    posted = sum(s["posted"] for s in samples)
    return {"rss_baseline_mib": baseline, "rss_final_mib": final,
            "rss_growth_percent": 100 * (final - baseline) / baseline,
            "rss_slope_mib_per_hour": slope,
            "rss_max_mib": max(s["rss_mib"] for s in samples),
            "fds_min": min(s["fds"] for s in warm), "fds_max": max(s["fds"] for s in warm),
            "fds_final": samples[-1]["fds"], "connected_final": samples[-1]["connected"],
            "connected_min": min(s["connected"] for s in warm),
            "p99_ms": latency["p99_ms"], "p50_ms": latency["p50_ms"], "max_ms": latency["max_ms"],
            "p99_worst_interval_ms": max(s["p99_ms"] for s in warm),
            "posted": posted, "failed_posts": sum(s["failed_posts"] for s in samples),
            "deliveries": sum(s["deliveries"] for s in samples),
            "expected_deliveries": posted * ROOM_SIZE,
            "reconnects": samples[-1]["reconnects"],
            "reconnect_failures": samples[-1]["reconnect_failures"],
            "closed_by_server_or_error": samples[-1]["closed"],
            "mean_cpu_percent": statistics.mean(s["cpu_percent"] for s in warm)}


def draw_chart(args, samples, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        bench.log("matplotlib missing: no chart")
        return None
    minutes = [s["minute"] for s in samples]
    fig, axes = plt.subplots(3, 1, figsize=(8, 8), sharex=True)
    panels = [("RSS, MiB", [("RSS", "rss_mib")]),
              ("count", [("open fds", "fds"), ("connected clients", "connected")]),
              ("delivery latency, ms", [("p99", "p99_ms"), ("p50", "p50_ms")])]
    for ax, (label, series) in zip(axes, panels):
        for name, key in series:
            ax.plot(minutes, [s[key] for s in samples], label=name)
        ax.axvspan(0, args.warmup_minutes, color="grey", alpha=0.15)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(loc="lower right")
    axes[0].set_ylim(bottom=0)
    axes[2].set_yscale("log")
    axes[2].set_xlabel("minutes after the clients connected (grey: warm-up)")
    axes[0].set_title(f"reportd soak: {args.connections} WebSocket connections, "
                      f"{args.churn:.0%}/s churn, {args.rate:g} comments/s")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report(args, result, summary, out):
    chart = draw_chart(args, result["samples"], out.with_suffix(".png"))
    met = summary["rss_growth_percent"] < RSS_TARGET_PERCENT
    s = summary
    lines = [
        f"# Soak {datetime.date.today().isoformat()}", "",
        f"reportd held {args.connections} signed-in WebSocket connections, joined to reports in rooms "
        f"of {ROOM_SIZE}, for {args.minutes:g} minutes after they connected, while {args.churn:.0%} of "
        f"them dropped their connection and reconnected each second and comments were posted at "
        f"{args.rate:g}/s to random rooms. Produced by `make soak` (`bench/soak.py`); the first "
        f"{args.warmup_minutes:g} minutes are warm-up.", "",
        "| metric | value |", "|---|---|",
        f"| RSS growth after warm-up (median of the last minute vs the first) | "
        f"{s['rss_growth_percent']:+.2f}% ({s['rss_baseline_mib']:.1f} → {s['rss_final_mib']:.1f} MiB); "
        f"target < {RSS_TARGET_PERCENT:g}%: {'met' if met else '**not met**'} |",
        f"| RSS trend after warm-up (least squares) | {s['rss_slope_mib_per_hour']:+.2f} MiB/hour |",
        f"| RSS idle, peak | {result['rss_idle_mib']:.1f} MiB, {s['rss_max_mib']:.1f} MiB |",
        f"| open fds after warm-up (min–max; final) | {s['fds_min']}–{s['fds_max']}; {s['fds_final']} "
        f"with {s['connected_final']} clients connected |",
        f"| connected clients after warm-up, lowest | {s['connected_min']} |",
        f"| delivery latency after warm-up p50 / p99 / max | {s['p50_ms']:.1f} / {s['p99_ms']:.1f} / "
        f"{s['max_ms']:.1f} ms |",
        f"| worst 1-sample p99 after warm-up | {s['p99_worst_interval_ms']:.1f} ms |",
        f"| comments posted (failed) | {s['posted']} ({s['failed_posts']}) |",
        f"| deliveries / expected | {s['deliveries']} / {s['expected_deliveries']} |",
        f"| reconnects (failed); sessions ended by the server or an error | {s['reconnects']} "
        f"({s['reconnect_failures']}); {s['closed_by_server_or_error']} |",
        f"| initial connect | {result['ready']['joined']} joined, {result['ready']['failed']} failed, "
        f"{result['ready']['connect_seconds']:.1f} s |",
        f"| server CPU after warm-up, mean | {s['mean_cpu_percent']:.0f}% of one core |", "",
        "Expected deliveries count every room member; clients that are reconnecting at the moment",
        "a comment goes out miss it (this client does not use connection state recovery).",
        "Latency includes the REST request and the commit. The load generator and the server share",
        "the machine's cores, and other work on the machine shows in the latency (load column).", ""]
    if result["error"]:
        lines += [f"**The run ended early: {result['error']}.**", ""]
    if chart:
        lines += [f"![soak]({chart.name})", ""]
    rows = result["samples"]
    step = max(1, round(60 / args.sample_seconds))
    lines += ["## Samples", "",
              f"{'One sample a minute' if len(rows) > step else 'Every sample'}; posted, deliveries, "
              f"p99 and CPU are of that sample's "
              f"{args.sample_seconds:g} s, reconnects since the start; 1-min load average of the machine.", "",
              "| minute | RSS MiB | fds | connected | reconnects | posted | deliveries | p99 ms | CPU % | load |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for sample in rows[step - 1::step] if len(rows) > step else rows:
        lines.append(f"| {sample['minute']:.1f} | {sample['rss_mib']:.1f} | {sample['fds']} | "
                     f"{sample['connected']} | {sample['reconnects']} | {sample['posted']} | "
                     f"{sample['deliveries']} | {sample['p99_ms']:.1f} | {sample['cpu_percent']:.0f} | "
                     f"{sample['load']:.1f} |")
    lines += ["", "## Machine and versions", ""]
    lines += [f"- {k}: {v}" for k, v in bench.versions().items()]
    built = datetime.datetime.fromtimestamp(bench.REPORTD.stat().st_mtime).isoformat(timespec="minutes")
    lines += [f"- reportd binary: {bench.REPORTD} (built {built})"]
    raw = [{k: v for k, v in sample.items() if k != "histograms"} for sample in result["samples"]]
    lines += ["", "## Raw samples", "", "```json", json.dumps(raw), "```", ""]
    out.write_text("\n".join(lines))
    bench.log(f"wrote {out}")


def main():
    args = parse_args()
    out = args.out or bench.ROOT / "bench/results" / f"soak-{datetime.date.today().isoformat()}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    for tool in (bench.REPORTD, bench.LOADGEN):
        if not tool.exists():
            raise SystemExit(f"{tool} is missing: run make build first")
    with tempfile.TemporaryDirectory(prefix="reportd-soak-") as workdir:
        bench.log(f"starting reportd with {args.connections // ROOM_SIZE} reports")
        server, token = bench.start_reportd(workdir, secrets.token_hex(32),
                                            reports=args.connections // ROOM_SIZE)
        try:
            result = soak(args, server, token)
        finally:
            server.stop()
    summary = summarize(args, result)
    write_report(args, result, summary, out)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
