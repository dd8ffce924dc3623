#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""smmu-sim --plot DIR end to end (registered in tests/CMakeLists.txt as report.plot).

Usage: plot_test.py SMMU_SIM. Exit 0 passed, 1 failed, 77 skipped (no matplotlib)."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO = os.path.join(HERE, "..", "sweep", "tiny_scenario.json")


def fail(msg):
    print(f"FAILED: {msg}")
    sys.exit(1)


def main(smmu_sim):
    os.environ["SYSTEMC_DISABLE_COPYRIGHT_MESSAGE"] = "1"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("skipped: python3-matplotlib is not installed")
        return 77
    with tempfile.TemporaryDirectory(prefix="smmu-plot-test-") as tmp:
        out = os.path.join(tmp, "a", "b")  # created with its parents
        r = subprocess.run([smmu_sim, "-q", "--plot", out, SCENARIO,
                            "--set", 'traffic[1]={"sid": 1, "base": "0x40000000", "length": "1 MiB", "count": 50}',
                            "--set", 'smmus[0].ports=2', "--set", "traffic[1].port=1"],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            fail(f"exit {r.returncode}: {r.stderr}")
        with open(os.path.join(out, "report.json")) as f:
            rep = json.load(f)
        if rep["scenario"]["smmus"][0]["ports"] != 2:
            fail("report.json is not the run's report")
        names = [d["name"] for d in rep["devices"]]
        if len(names) != 2:
            fail(f"devices {names}")
        for stem in [f"latency_{n}" for n in names] + ["hit_rates"]:
            for ext in ("png", "svg"):
                p = os.path.join(out, f"{stem}.{ext}")
                if not os.path.isfile(p) or os.path.getsize(p) < 1000:
                    fail(f"missing or empty plot {p}; stderr: {r.stderr}")
                if f"{stem}.{ext}" not in r.stderr:
                    fail(f"{stem}.{ext} not listed on stderr: {r.stderr}")
        with open(os.path.join(out, f"latency_{names[0]}.png"), "rb") as f:
            if f.read(8) != b"\x89PNG\r\n\x1a\n":
                fail("not a PNG")
        # A folder that cannot be made: exit 2 before any simulation, one line naming --plot.
        r = subprocess.run([smmu_sim, "-q", "--plot", "/proc/no/such", SCENARIO],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 2 or "--plot" not in r.stderr or len(r.stderr.strip().splitlines()) != 1:
            fail(f"bad folder: exit {r.returncode}: {r.stderr!r}")
        # No script: the run's report is still written, the exit status says the plots failed.
        env = dict(os.environ, SMMU_PLOT_SCRIPT=os.path.join(tmp, "none.py"))
        out2 = os.path.join(tmp, "c")
        r = subprocess.run([smmu_sim, "-q", "--plot", out2, SCENARIO], capture_output=True,
                           text=True, timeout=120, env=env)
        if r.returncode != 1 or "not found" not in r.stderr or not os.path.isfile(os.path.join(out2, "report.json")):
            fail(f"no script: exit {r.returncode}: {r.stderr!r}")
    print("passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} SMMU_SIM", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(os.path.abspath(sys.argv[1])))
