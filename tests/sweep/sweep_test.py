#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""smmu-sweep end to end against the built smmu-sim (registered in tests/CMakeLists.txt).

Usage: sweep_test.py SMMU_SIM CASE, CASE one of local, parallel, bad_file, failed_point,
linked, examples.
Exit 0 passed, 1 failed, 77 skipped (ctest's SKIP_RETURN_CODE).
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SWEEP = os.path.join(HERE, "..", "..", "scripts", "smmu-sweep")
SKIP = 77
WAYS = [1, 2, 4]
PATTERNS = ["sequential", "random"]


class Failed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


def sweep_doc(**extra):
    doc = {"scenario": os.path.join(HERE, "tiny_scenario.json"),
           "title": "tiny",
           "parameters": {"smmus[0].main_tlb.ways": WAYS, "traffic[0].pattern": PATTERNS},
           "collect": {"p99": "translation.latency_ns.p99",
                       "hit_rate": "smmus[0].main_tlb.hit_rate",
                       "walks": "smmus[0].walks"},
           "units": {"p99": "ns"}}
    doc.update(extra)
    return doc


def run_sweep(tmp, doc, *args, name="s.json"):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))
    r = subprocess.run([sys.executable, SWEEP, path, "--smmu-sim", SMMU_SIM, *args],
                       capture_output=True, text=True, timeout=120)
    return r


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def check_grid_csv(out):
    rows = read_csv(os.path.join(out, "results.csv"))
    check(rows[0] == ["smmus[0].main_tlb.ways", "traffic[0].pattern", "repeat", "p99",
                      "hit_rate", "walks"], f"header {rows[0]}")
    # The product in parameter order, the last parameter fastest.
    want = [(str(w), p) for w in WAYS for p in PATTERNS]
    check([(r[0], r[1]) for r in rows[1:]] == want, f"swept values {[r[:2] for r in rows[1:]]}")
    for r in rows[1:]:
        check(r[2] == "0", f"repeat {r[2]}")
        for v in r[3:]:
            float(v)  # a number, not empty
        check(float(r[3]) > 0 and 0 <= float(r[4]) <= 1 and float(r[5]) > 0, f"values {r}")
    return rows


def case_local(tmp):
    out = os.path.join(tmp, "out")
    r = run_sweep(tmp, sweep_doc(), "--out", out, "--jobs", "2")
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    rows = check_grid_csv(out)
    # Points differ: a random pattern over 4 MiB walks more than a sequential one.
    check(rows[1][5] != rows[2][5], f"sequential and random gave the same walks: {rows[1:3]}")
    for i in range(6):
        with open(os.path.join(out, "points", f"{i:04d}.params.json")) as f:
            params = json.load(f)
        check(params["parameters"] == {"smmus[0].main_tlb.ways": WAYS[i // 2],
                                       "traffic[0].pattern": PATTERNS[i % 2]}, f"params {params}")
        with open(os.path.join(out, "points", f"{i:04d}.json")) as f:
            rep = json.load(f)
        check(rep["scenario"]["smmus"][0]["main_tlb"]["ways"] == WAYS[i // 2], "report's scenario")
    with open(os.path.join(out, "results.json")) as f:
        res = json.load(f)
    check(res["failures"] == [] and len(res["points"]) == 6, "results.json")
    check(res["points"][3]["values"]["p99"] == float(rows[4][3]), "results.json values")
    try:
        import matplotlib  # noqa: F401
        for v in ("p99", "hit_rate", "walks"):
            for x in ("smmus0.main_tlb.ways", "traffic0.pattern"):
                for ext in ("png", "svg"):
                    p = os.path.join(out, "plots", f"{v}_vs_{x}.{ext}")
                    check(os.path.getsize(p) > 1000, f"plot {p}")
    except ImportError:
        check("plots skipped" in r.stderr, "no word that plots were skipped")
    before = read_csv(os.path.join(out, "results.csv"))
    r2 = run_sweep(tmp, sweep_doc(), "--out", out, "--no-plots")
    check(r2.returncode == 0, f"second run exit {r2.returncode}: {r2.stderr}")
    check("6 skipped" in r2.stderr and "0 to run" in r2.stderr, f"second run: {r2.stderr}")
    check(read_csv(os.path.join(out, "results.csv")) == before, "second run's CSV differs")
    # A report that does not parse (an interrupted run) is run again, only it.
    with open(os.path.join(out, "points", "0004.json"), "w") as f:
        f.write("{")
    r3 = run_sweep(tmp, sweep_doc(), "--out", out, "--no-plots")
    check(r3.returncode == 0 and "5 skipped" in r3.stderr and "1 to run" in r3.stderr, r3.stderr)
    check(read_csv(os.path.join(out, "results.csv")) == before, "resumed run's CSV differs")


def case_parallel(tmp):
    if shutil.which("parallel") is None:
        print("skipped: GNU parallel is not installed (Debian package parallel)")
        return SKIP
    a, b = os.path.join(tmp, "a"), os.path.join(tmp, "b")
    r = run_sweep(tmp, sweep_doc(), "--out", a, "--no-plots")
    check(r.returncode == 0, f"local exit {r.returncode}: {r.stderr}")
    r = run_sweep(tmp, sweep_doc(), "--out", b, "--no-plots", "--engine", "parallel", "--jobs", "2")
    check(r.returncode == 0, f"parallel exit {r.returncode}: {r.stderr}")
    check(os.path.isfile(os.path.join(b, "commands.txt")), "no command list")
    check_grid_csv(b)
    check(read_csv(os.path.join(a, "results.csv")) == read_csv(os.path.join(b, "results.csv")),
          "parallel's CSV differs from local's")


def case_bad_file(tmp):
    bad = [
        ("{", "not valid JSON"),
        ("[]", "top"),
        (sweep_doc(parameters={"smmus[0].main_tlb.ways": {"from": 4, "to": 1}}),
         "parameters.smmus[0].main_tlb.ways.to"),
        (sweep_doc(parameters={"smmus[0].main_tlb.ways": {"from": 3, "to": 8, "log2": True}}),
         "parameters.smmus[0].main_tlb.ways.from"),
        (sweep_doc(parameters={"smmus[0].main_tlb.ways": "4"}), "parameters.smmus[0].main_tlb.ways"),
        (sweep_doc(parameters={"smmus[0].main_tlb.ways": []}), "parameters.smmus[0].main_tlb.ways"),
        (sweep_doc(combine="cross"), "combine"),
        (sweep_doc(combine="zip"), "combine"),
        (sweep_doc(repeats=0), "repeats"),
        (sweep_doc(seed_paths=[3]), "seed_paths[0]"),
        (sweep_doc(collect={"p99": 99}), "collect.p99"),
        (sweep_doc(collect={}), "collect"),
        (sweep_doc(units={"nothing": "ns"}), "units.nothing"),
        (sweep_doc(plots={"x": "nothing"}), "plots.x"),
        (sweep_doc(scenario="no_such_file.json"), "scenario"),
        (sweep_doc(colect={}), "colect"),
    ]
    for doc, key in bad:
        r = run_sweep(tmp, doc, "--out", os.path.join(tmp, "bad"))
        check(r.returncode == 2, f"{key}: exit {r.returncode}: {r.stderr}")
        lines = r.stderr.strip().splitlines()
        check(len(lines) == 1 and key in lines[0] and "Traceback" not in r.stderr,
              f"{key}: message {r.stderr!r}")
    r = subprocess.run([sys.executable, SWEEP, os.path.join(tmp, "missing.json")],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "cannot read" in r.stderr, f"missing file: {r.stderr}")
    r = run_sweep(tmp, sweep_doc(), "--smmu-sim", os.path.join(tmp, "nope"))
    check(r.returncode == 2 and "--smmu-sim" in r.stderr, f"bad --smmu-sim: {r.stderr}")


def case_failed_point(tmp):
    out = os.path.join(tmp, "out")
    # ways 0 is refused by smmu-sim (exit 2): that point fails, the others run.
    doc = sweep_doc(parameters={"smmus[0].main_tlb.ways": [2, 0, 4]})
    r = run_sweep(tmp, doc, "--out", out, "--no-plots")
    check(r.returncode == 1, f"exit {r.returncode}: {r.stderr}")
    check("point 0001" in r.stderr and "exit status 2" in r.stderr and "main_tlb.ways" in r.stderr,
          f"stderr {r.stderr}")
    with open(os.path.join(out, "results.json")) as f:
        res = json.load(f)
    check(len(res["failures"]) == 1, f"failures {res['failures']}")
    fl = res["failures"][0]
    check(fl["index"] == 1 and fl["exit_status"] == 2 and
          any("main_tlb.ways" in line for line in fl["stderr"]), f"failure {fl}")
    rows = read_csv(os.path.join(out, "results.csv"))
    check([r[0] for r in rows[1:]] == ["2", "0", "4"], f"rows {rows}")
    check(rows[2][2:] == ["", "", ""] and rows[1][2] != "" and rows[3][2] != "", f"rows {rows}")
    # Resuming runs the failed point again, and only it.
    r = run_sweep(tmp, doc, "--out", out, "--no-plots")
    check(r.returncode == 1 and "2 skipped" in r.stderr and "1 to run" in r.stderr, r.stderr)


def case_linked(tmp):
    """A linked parameter sets several paths per value; its name is the CSV column."""
    out = os.path.join(tmp, "out")
    doc = sweep_doc(parameters={
        "size": {"sets": [{"smmus[0].main_tlb.ways": 1, "traffic[0].count": 50},
                          {"smmus[0].main_tlb.ways": 4, "traffic[0].count": 80}],
                 "labels": ["small", "big"]},
        "traffic[0].pattern": PATTERNS})
    r = run_sweep(tmp, doc, "--out", out, "--no-plots")
    check(r.returncode == 0, f"exit {r.returncode}: {r.stderr}")
    rows = read_csv(os.path.join(out, "results.csv"))
    check(rows[0][:3] == ["size", "traffic[0].pattern", "repeat"], f"header {rows[0]}")
    check([(x[0], x[1]) for x in rows[1:]] == [(z, p) for z in ("small", "big") for p in PATTERNS],
          f"rows {rows}")
    for i, (ways, count) in enumerate([(1, 50), (1, 50), (4, 80), (4, 80)]):
        with open(os.path.join(out, "points", f"{i:04d}.json")) as f:
            rep = json.load(f)
        sc = rep["scenario"]
        check(sc["smmus"][0]["main_tlb"]["ways"] == ways and sc["traffic"][0]["count"] == count,
              f"point {i}: scenario {sc['smmus'][0]['main_tlb']}, {sc['traffic'][0]}")
        check(rep["translation"]["latency_ns"]["count"] == count, f"point {i}: transactions")
    bad = sweep_doc(parameters={"size": {"sets": [{"smmus[0].main_tlb.ways": 1}], "labels": []}})
    r = run_sweep(tmp, bad, "--out", os.path.join(tmp, "bad"))
    check(r.returncode == 2 and "parameters.size.labels" in r.stderr, f"bad labels: {r.stderr}")


def case_examples(tmp):
    """Every sweep in examples/sweeps runs, with its CSV in parameter order and its plots."""
    ex = os.path.join(HERE, "..", "..", "examples", "sweeps")
    files = sorted(f for f in os.listdir(ex) if f.endswith(".json"))
    check(len(files) >= 3, f"examples/sweeps holds {files}")
    for name in files:
        out = os.path.join(tmp, name)
        r = subprocess.run([sys.executable, SWEEP, os.path.join(ex, name), "--smmu-sim", SMMU_SIM,
                            "--out", out], capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, f"{name}: exit {r.returncode}: {r.stderr}")
        with open(os.path.join(out, "results.json")) as f:
            res = json.load(f)
        rows = read_csv(os.path.join(out, "results.csv"))
        check(len(rows) == 1 + len(res["points"]) and res["failures"] == [], f"{name}: rows")
        first = res["parameters"][0]
        col = [x[0] for x in rows[1:]]
        check(col[0] == str(first["values"][0]) and str(first["values"][-1]) in col, f"{name}: {col}")
        for row in rows[1:]:
            for v in row[len(res["parameters"]) + 1:]:
                float(v)
        pngs = [f for f in os.listdir(os.path.join(out, "plots")) if f.endswith(".png")]
        for c in res["collect"]:
            check(any(f.startswith(f"{c['name']}_vs_") for f in pngs), f"{name}: no plot of {c['name']}: {pngs}")


CASES = {"local": case_local, "parallel": case_parallel, "bad_file": case_bad_file,
         "failed_point": case_failed_point, "linked": case_linked, "examples": case_examples}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in CASES:
        print(f"usage: {sys.argv[0]} SMMU_SIM {'|'.join(CASES)}", file=sys.stderr)
        sys.exit(2)
    SMMU_SIM = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="smmu-sweep-test-") as tmp:
        try:
            rc = CASES[sys.argv[2]](tmp) or 0
        except Failed as e:
            print(f"FAILED: {e}")
            sys.exit(1)
    if rc != SKIP:
        print("passed")
    sys.exit(rc)
