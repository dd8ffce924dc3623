# SPDX-License-Identifier: Apache-2.0
"""The engines: each runs a list of point parameter files and returns when all have run
(or could not be). What happened to each point is read back from its files afterwards."""
import concurrent.futures
import os
import shlex
import shutil
import subprocess
import sys

from . import point
from .spec import SweepError


class EngineFailed(Exception):
    """The engine ran badly after the sweep started: the points it did not run are failures."""

POINT_PY = os.path.abspath(point.__file__)
PYTHON = sys.executable or "/usr/bin/python3"


def command_line(params_file):
    return f"{shlex.quote(PYTHON)} {shlex.quote(POINT_PY)} {shlex.quote(params_file)}"


def write_commands(out_dir, params_files):
    path = os.path.join(out_dir, "commands.txt")
    with open(path, "w") as f:
        for p in params_files:
            f.write(command_line(p) + "\n")
    return path


def run_local(out_dir, params_files, jobs, log):
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        # A point runner's own failure (not smmu-sim's) shows as a missing status file.
        list(ex.map(_run_quietly, params_files))


def _run_quietly(p):
    try:
        point.run(p)
    except (OSError, ValueError) as e:
        print(f"smmu-sweep: {p}: {e}", file=sys.stderr)


def run_parallel(out_dir, params_files, jobs, log):
    exe = shutil.which("parallel")
    if exe is None:
        raise SweepError("--engine parallel: GNU parallel is not installed (Debian package parallel)")
    cmds = write_commands(out_dir, params_files)
    # Each input line is a command. parallel's status counts failed jobs: the points'
    # status files say which, so it is not an error of the engine.
    with open(cmds) as f:
        r = subprocess.run([exe, "--will-cite", "-j", str(jobs)], stdin=f,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode > 100:
        raise EngineFailed(f"GNU parallel failed (status {r.returncode}): {r.stderr.strip()[-500:]}")


SBATCH_TEMPLATE = """#!/bin/bash
# Written by smmu-sweep: array task i runs line i + 1 of the command list.
#SBATCH --job-name=smmu-sweep
#SBATCH --output={log_dir}/%A_%a.out
#SBATCH --chdir={out_dir}
set -u
line=$(sed -n "$((SLURM_ARRAY_TASK_ID + 1))p" {commands})
if [[ -z "$line" ]]; then
  echo "smmu-sweep: no command for array task $SLURM_ARRAY_TASK_ID" >&2
  exit 2
fi
eval "$line"
"""


def run_slurm(out_dir, params_files, jobs, log, sbatch_args=()):
    exe = shutil.which("sbatch")
    if exe is None:
        raise SweepError("--engine slurm: sbatch is not on the PATH (Debian package slurm-client)")
    cmds = write_commands(out_dir, params_files)
    log_dir = os.path.join(out_dir, "slurm")
    os.makedirs(log_dir, exist_ok=True)
    script = os.path.join(out_dir, "sweep.sbatch")
    q = shlex.quote
    with open(script, "w") as f:
        f.write(SBATCH_TEMPLATE.format(log_dir=q(log_dir), out_dir=q(out_dir), commands=q(cmds)))
    array = f"0-{len(params_files) - 1}" + (f"%{jobs}" if jobs else "")
    argv = [exe, f"--array={array}", "--wait", *sbatch_args, script]
    log(f"smmu-sweep: {' '.join(q(a) for a in argv)}")
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if r.stdout.strip():
        log(f"smmu-sweep: sbatch: {r.stdout.strip()}")
    # --wait exits non-zero when a task failed: the points say which. A job that was never
    # submitted leaves no status files, and those points are listed as not run.
    if r.returncode != 0 and "Submitted batch job" not in r.stdout:
        raise EngineFailed(f"sbatch failed (status {r.returncode}): {r.stderr.strip()[-500:]}")
