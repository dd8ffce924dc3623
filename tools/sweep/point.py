# SPDX-License-Identifier: Apache-2.0
"""Runs one point: smmu-sim with the point's arguments, its report written under a
temporary name and renamed only on success, so that a report that exists is complete.

Every engine runs this (the local engine in-process, GNU parallel and Slurm as
`python3 point.py DIR/points/NNNN.params.json`): the status and stderr files it leaves
are what the sweep collects, whatever ran it.
"""
import json
import os
import subprocess
import sys


def files(points_dir, index):
    stem = os.path.join(points_dir, f"{index:04d}")
    return {"report": stem + ".json", "params": stem + ".params.json",
            "partial": stem + ".json.part", "stderr": stem + ".stderr",
            "status": stem + ".status"}


def run(params_file):
    with open(params_file, encoding="utf-8") as f:
        params = json.load(f)
    fs = files(os.path.dirname(params_file), params["index"])
    for k in ("status", "partial"):
        if os.path.exists(fs[k]):
            os.remove(fs[k])
    argv = params["argv"] + ["--json", fs["partial"], "-q"]
    env = dict(os.environ, SYSTEMC_DISABLE_COPYRIGHT_MESSAGE="1")
    with open(fs["stderr"], "wb") as err:
        try:
            status = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, env=env).returncode
        except OSError as e:
            err.write(f"smmu-sweep: cannot run {argv[0]}: {e.strerror}\n".encode())
            status = 127
    if status == 0 and os.path.exists(fs["partial"]):
        os.replace(fs["partial"], fs["report"])
    with open(fs["status"], "w") as f:
        f.write(f"{status}\n")
    return status


if __name__ == "__main__":
    try:
        sys.exit(run(sys.argv[1]))
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"smmu-sweep point: {e}", file=sys.stderr)
        sys.exit(2)
