# SPDX-License-Identifier: Apache-2.0
"""smmu-sweep's command line: read the sweep, run the points not yet done, collect."""
import argparse
import csv
import json
import os
import re
import shutil
import sys

from . import engines, point, spec
from .spec import SweepError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STDERR_TAIL_LINES = 5


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def _positive(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="smmu-sweep",
        description="Runs smmu-sim once per point of a sweep file and writes results.csv, "
                    "results.json and plots (README, section smmu-sweep).")
    ap.add_argument("sweep", metavar="SWEEP.json")
    ap.add_argument("--engine", choices=("local", "parallel", "slurm"), default="local")
    ap.add_argument("--jobs", type=_positive, default=None,
                    help="points at once (default: the number of cores; slurm: no limit)")
    ap.add_argument("--out", metavar="DIR", help="output folder (default: ./<sweep name>.sweep)")
    ap.add_argument("--smmu-sim", metavar="PATH", dest="smmu_sim",
                    help="the simulator (default: $SMMU_SIM, build/bin/smmu-sim, or on PATH)")
    ap.add_argument("--no-plots", action="store_true", help="write no plots")
    ap.add_argument("--sbatch-arg", action="append", default=[], metavar="ARG",
                    help="an extra sbatch argument (repeatable), e.g. --sbatch-arg=--partition=x")
    return ap.parse_args(argv)


def find_smmu_sim(given):
    if given:
        cands = [given]
    else:
        cands = [os.environ.get("SMMU_SIM"), os.path.join(REPO, "build", "platform", "smmu-sim"),
                 shutil.which("smmu-sim")]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    if given:
        raise SweepError(f"--smmu-sim: {given} is not an executable file")
    raise SweepError("smmu-sim not found: build it (scripts/run.sh builds build/bin/smmu-sim) "
                     "or give --smmu-sim PATH")


def get_path(doc, path):
    """The report value at a dotted path with [i] indexes; KeyError when absent."""
    cur = doc
    for name, idx in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)", path):
        if not isinstance(cur, dict) or name not in cur:
            raise KeyError(name)
        cur = cur[name]
        for i in re.findall(r"\[(\d+)\]", idx):
            if not isinstance(cur, list) or int(i) >= len(cur):
                raise KeyError(f"{name}[{i}]")
            cur = cur[int(i)]
    return cur


def read_report(path):
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        return doc if isinstance(doc, dict) else None
    except (OSError, ValueError):
        return None


def point_params(sw, p, base_argv):
    argv = list(base_argv)
    for path, value in p.sets:
        argv += ["--set", f"{path}={json.dumps(value)}"]
    return {"index": p.index, "parameters": p.combo, "repeat": p.repeat,
            "sets": [[k, v] for k, v in p.sets], "argv": argv}


def same_point(old_file, new):
    """The stored parameters match (the simulator's path may differ: a moved build)."""
    try:
        with open(old_file, encoding="utf-8") as f:
            old = json.load(f)
        return old.get("sets") == new["sets"] and old.get("argv", [None])[1:] == new["argv"][1:]
    except (OSError, ValueError, AttributeError):
        return False


def stderr_tail(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
        return lines[-STDERR_TAIL_LINES:]
    except OSError:
        return []


def run(args):
    sw = spec.load(args.sweep)
    smmu_sim = find_smmu_sim(args.smmu_sim)
    stem = os.path.splitext(os.path.basename(args.sweep))[0]
    out = os.path.abspath(args.out or f"{stem}.sweep")
    points_dir = os.path.join(out, "points")
    try:
        os.makedirs(points_dir, exist_ok=True)
    except OSError as e:
        raise SweepError(f"--out: cannot create {points_dir}: {e.strerror}")

    base_argv = [smmu_sim]
    if sw.scenario_inline is not None:
        scen = os.path.join(out, "scenario.json")
        with open(scen, "w") as f:
            json.dump(sw.scenario_inline, f, indent=1)
        base_argv.append(scen)
    elif sw.scenario_file:
        base_argv.append(sw.scenario_file)

    pending, skipped = [], 0
    for p in sw.points:
        fs = point.files(points_dir, p.index)
        params = point_params(sw, p, base_argv)
        if read_report(fs["report"]) is not None and same_point(fs["params"], params):
            skipped += 1
            continue
        if os.path.exists(fs["report"]):
            os.remove(fs["report"])   # stale: other parameters, or does not parse
        with open(fs["params"], "w") as f:
            json.dump(params, f, indent=1)
        pending.append(fs["params"])

    jobs = args.jobs or (None if args.engine == "slurm" else os.cpu_count() or 1)
    log(f"smmu-sweep: {len(sw.points)} points, {skipped} skipped (report already there), "
        f"{len(pending)} to run with the {args.engine} engine"
        + (f", {jobs} at once" if jobs else ""))
    engine_error = None
    if pending:
        try:
            if args.engine == "local":
                engines.run_local(out, pending, jobs, log)
            elif args.engine == "parallel":
                engines.run_parallel(out, pending, jobs, log)
            else:
                engines.run_slurm(out, pending, jobs, log, args.sbatch_arg)
        except engines.EngineFailed as e:
            engine_error = str(e)
            log(f"smmu-sweep: {e}")

    rows, failures, missing = [], [], {}
    for p in sw.points:
        fs = point.files(points_dir, p.index)
        rep = read_report(fs["report"])
        values = {}
        if rep is None:
            try:
                with open(fs["status"]) as f:
                    status = int(f.read().strip())
            except (OSError, ValueError):
                status = None
            fail = {"index": p.index, "parameters": p.combo, "repeat": p.repeat,
                    "exit_status": status, "stderr": stderr_tail(fs["stderr"])}
            if status == 0:
                fail["error"] = "exited 0 without a report"
            elif status is None:
                fail["error"] = "not run" + (f" ({engine_error})" if engine_error else "")
            failures.append(fail)
        else:
            for name, path in sw.collect.items():
                try:
                    values[name] = get_path(rep, path)
                except KeyError:
                    values[name] = None
                    missing.setdefault(name, p.index)
        rows.append({"index": p.index, "parameters": p.combo, "repeat": p.repeat,
                     "ok": rep is not None, "values": values})

    for name, idx in missing.items():
        log(f"smmu-sweep: collect.{name}: {sw.collect[name]} is not in point {idx:04d}'s report "
            f"(left empty)")
    for fl in failures:
        sets = ", ".join(f"{k}={json.dumps(v)}" for k, v in fl["parameters"].items())
        why = f"exit status {fl['exit_status']}" if fl["exit_status"] is not None else fl["error"]
        log(f"smmu-sweep: point {fl['index']:04d} ({sets}, repeat {fl['repeat']}) failed: {why}")
        for line in fl["stderr"]:
            log(f"    {line}")

    write_csv(os.path.join(out, "results.csv"), sw, rows)
    write_json(os.path.join(out, "results.json"), sw, rows, failures, skipped, args)
    log(f"smmu-sweep: {out}/results.csv and results.json: {len(rows) - len(failures)} points ok, "
        f"{len(failures)} failed")

    if args.no_plots:
        log("smmu-sweep: plots skipped (--no-plots)")
    else:
        from . import plots
        made, why = plots.make(os.path.join(out, "plots"), sw, rows)
        if why:
            log(f"smmu-sweep: plots skipped: {why}")
        else:
            log(f"smmu-sweep: {len(made)} plot files in {out}/plots")
    return 1 if failures else 0


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return v


def write_csv(path, sw, rows):
    names = [p.name for p in sw.parameters]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names + ["repeat"] + list(sw.collect))
        for r in rows:
            w.writerow([_cell(r["parameters"][n]) for n in names] + [r["repeat"]]
                       + [_cell(r["values"].get(c)) for c in sw.collect])


def write_json(path, sw, rows, failures, skipped, args):
    doc = {
        "title": sw.title,
        "sweep": os.path.abspath(args.sweep),
        "engine": args.engine,
        "parameters": [{"name": p.name, "path": p.path, "values": p.labels,
                        "unit": sw.units.get(p.name)} for p in sw.parameters],
        "repeats": sw.repeats,
        "seed_paths": sw.seed_paths,
        "collect": [{"name": n, "path": c, "unit": sw.units.get(n)} for n, c in sw.collect.items()],
        "points": [{"index": r["index"], "report": f"points/{r['index']:04d}.json" if r["ok"] else None,
                    "parameters": r["parameters"], "repeat": r["repeat"],
                    "values": r["values"] if r["ok"] else None} for r in rows],
        "failures": failures,
        "skipped": skipped,
    }
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except SweepError as e:
        log(f"smmu-sweep: {args.sweep}: {e}")
        return 2
    except OSError as e:
        log(f"smmu-sweep: {e.filename or ''}: {e.strerror}")
        return 2
    except KeyboardInterrupt:
        log("smmu-sweep: interrupted (re-run with the same --out to resume)")
        return 130
