#!/usr/bin/python3
"""The spread of repeated benchmark runs: for every target of run.py's table, the minimum,
median and maximum of reportd's value and of its ratio to Node (and to the ceiling, where it
has one), and in how many runs the target was met. Reads the raw results (<report>.json) that
run.py writes beside each report.

    /usr/bin/python3 bench/spread.py                   # the newest 3 full runs in bench/results
    /usr/bin/python3 bench/spread.py --newest 5
    /usr/bin/python3 bench/spread.py a.json b.json c.json --out /tmp/spread.md
"""

import argparse
import datetime
import json
import math
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (the table's rows and targets have one definition: run.py's)

RESULTS = Path(__file__).resolve().parent / "results"


def read_run(path):
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: {e}")
    if not isinstance(data, dict) or data.get("kind") != "reportd-bench":
        raise ValueError(f"{path}: not the raw results of bench/run.py")
    data["path"] = Path(path)
    return data


def newest_runs(folder, count):
    """The newest `count` full (not smoke) runs in `folder`, oldest first."""
    runs = []
    for path in folder.glob("*.json"):
        try:
            data = read_run(path)
        except ValueError:
            continue
        if not data["smoke"]:
            runs.append(data)
    runs.sort(key=lambda data: data["finished"])
    return runs[-count:]


def spread(values, fmt):
    """min / median / max of the values that were measured, formatted; – when none was."""
    values = [v for v in values if v is not None and not math.isnan(v)]
    if not values:
        return "–"
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


def spread_table(runs):
    """One line per target metric present in every run, in run.py's order."""
    per_run = [{row["metric"]: row for row in run.comparison_rows(data["results"], data["config"])
                if row["target"]} for data in runs]
    lines = ["| metric | target | met in | reportd min / median / max | Node median | "
             "reportd vs Node min / median / max | reportd/ceiling min / median / max |",
             "|---|---|---|---|---|---|---|"]
    for metric, first in per_run[0].items():
        rows = [rows_of_run[metric] for rows_of_run in per_run if metric in rows_of_run]
        if len(rows) < len(runs):
            continue
        met = sum(1 for row in rows if row["met"])
        judged = sum(1 for row in rows if row["met"] is not None)
        met_text = "–" if not judged else f"{met}/{judged}" + ("" if met == judged else " **no**")
        node = [row["node"] for row in rows if row["node"] is not None]
        vs_node = [run.advantage(row["better"], row["reportd"], row["node"]) for row in rows]
        vs_ceiling = [run.advantage(row["better"], row["reportd"], row["ceiling"])
                      for row in rows if row["ceiling"] is not None]
        lines.append(f"| {metric} | {first['target']} | {met_text} | "
                     f"{spread([row['reportd'] for row in rows], first['fmt'])} | "
                     f"{first['fmt'].format(statistics.median(node)) if node else '–'} | "
                     f"{spread(vs_node, '{:.2f}x')} | {spread(vs_ceiling, '{:.2f}')} |")
    return lines


def report(runs):
    lines = [f"# Spread of {len(runs)} benchmark runs ({datetime.date.today().isoformat()})", "",
             "Each target of `bench/run.py`'s table over the runs below: reportd's value and its",
             "advantage over Node (above 1: reportd is better) and its share of the ceiling, as",
             "minimum / median / maximum; \"met in\" counts the runs that met the target.", "",
             *spread_table(runs), "", "Runs:", ""]
    for data in runs:
        commit = data.get("versions", {}).get("reportd commit", "unknown")
        lines.append(f"- `{data['path'].name}`: {data['date']}, reportd commit {commit}, "
                     f"{data['elapsed_seconds'] / 60:.1f} minutes, {data['pinning']['note']}")
    return lines + [""]


def unused_path(folder, stem):
    """<stem>.md, or <stem>-2.md and so on if a spread of the same day is there already."""
    n = 1
    while True:
        path = folder / (f"{stem}.md" if n == 1 else f"{stem}-{n}.md")
        if not path.exists():
            return path
        n += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="raw results of run.py (<report>.json)")
    parser.add_argument("--newest", type=int, default=3,
                        help="without files: the newest N full runs in bench/results (default 3)")
    parser.add_argument("--out", type=Path,
                        help="where to write the table (default bench/results/spread-<date>.md, or -2, -3 …)")
    args = parser.parse_args()
    try:
        runs = [read_run(path) for path in args.files] if args.files else newest_runs(RESULTS, args.newest)
    except ValueError as e:
        sys.exit(str(e))
    if not runs:
        sys.exit("no raw results of bench/run.py to read")
    if not args.files and len(runs) < args.newest:
        print(f"only {len(runs)} full runs in {RESULTS}", file=sys.stderr)
    text = "\n".join(report(runs))
    out = args.out or unused_path(RESULTS, f"spread-{datetime.date.today().isoformat()}")
    out.write_text(text)
    print(text)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
