#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# smmu-sweep --engine slurm against a real single-node Slurm: starts munged, slurmctld
# and slurmd on loopback from a slurm.conf written to a temporary folder, runs a 2-point
# sweep, checks its results, stops the daemons. When Slurm is not installed or its
# daemons cannot start, says why and exits 77 (ctest's SKIP_RETURN_CODE): sbatch is never
# faked. Slurm is opt-in for the machines: scripts/slurm-test.sh installs it and runs this.
# Usage: slurm_test.sh SMMU_SIM
set -uo pipefail
SKIP=77
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
sweep="$here/../../scripts/smmu-sweep"
smmu_sim="${1:?usage: slurm_test.sh SMMU_SIM}"

skip() { echo "skipped: $*"; exit "$SKIP"; }
fail() { echo "FAILED: $*"; exit 1; }

for p in munged slurmctld slurmd sbatch squeue sinfo; do
  command -v "$p" >/dev/null 2>&1 || [[ -x "/usr/sbin/$p" ]] ||
    skip "$p not installed (scripts/slurm-test.sh installs slurm-wlm and munge)"
done
export PATH="$PATH:/usr/sbin"
# slurmd starts jobs as their user, which needs root.
[[ $(id -u) -eq 0 ]] || skip "slurmd must run as root to start jobs (running as $(id -un))"

tmp="$(mktemp -d /tmp/smmu-slurm-test.XXXXXX)"
chmod 700 "$tmp"
munged_pid="" ctld_pid="" slurmd_pid=""
cleanup() {
  # Only the daemons this script started, by their pids.
  for pid in $slurmd_pid $ctld_pid; do kill "$pid" 2>/dev/null; done
  for pid in $slurmd_pid $ctld_pid; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  [[ -n "$munged_pid" ]] && munged --stop --socket="$tmp/munge.sock" >/dev/null 2>&1
  [[ -n "$munged_pid" ]] && kill "$munged_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
show_logs() {
  for f in "$tmp"/*.log; do [[ -f "$f" ]] && { echo "--- $f"; tail -n 15 "$f"; }; done
}

# Two free loopback ports for slurmctld and slurmd.
read -r ctld_port slurmd_port < <(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')

# munge: its own key and socket, so that a system munged (if any) is left alone.
head -c 1024 /dev/urandom >"$tmp/munge.key"
chmod 400 "$tmp/munge.key"
munged --force --key-file="$tmp/munge.key" --socket="$tmp/munge.sock" \
  --pid-file="$tmp/munged.pid" --log-file="$tmp/munged.log" --seed-file="$tmp/munged.seed" \
  >"$tmp/munged.out" 2>&1 || { cat "$tmp/munged.out"; skip "munged did not start"; }
munged_pid="$(cat "$tmp/munged.pid" 2>/dev/null)"

host="$(hostname -s)"
mkdir -p "$tmp/state" "$tmp/spool"
cat >"$tmp/slurm.conf" <<CONF
ClusterName=smmusweep
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge.sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=sweep Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$tmp/slurm.conf"

slurmctld -D -i -f "$SLURM_CONF" >"$tmp/slurmctld.out.log" 2>&1 &
ctld_pid=$!
slurmd -D -f "$SLURM_CONF" -N "$host" >"$tmp/slurmd.out.log" 2>&1 &
slurmd_pid=$!

# Up when the node is idle in sinfo (at most 30 s).
up=0
for _ in $(seq 60); do
  kill -0 "$ctld_pid" 2>/dev/null || break
  kill -0 "$slurmd_pid" 2>/dev/null || break
  state="$(sinfo -h -N -o '%t' 2>/dev/null | head -n1)"
  if [[ "$state" == idle* || "$state" == mix* ]]; then up=1; break; fi
  sleep 0.5
done
if ((up == 0)); then
  show_logs
  skip "slurmctld/slurmd did not come up on loopback (node state '${state:-none}'; logs above)"
fi
echo "slurm: slurmctld :$ctld_port and slurmd :$slurmd_port up, node $host idle"

cat >"$tmp/sweep.json" <<JSON
{"scenario": "$here/tiny_scenario.json",
 "title": "slurm test",
 "parameters": {"smmus[0].main_tlb.ways": [1, 4]},
 "collect": {"p99": "translation.latency_ns.p99", "walks": "smmus[0].walks"},
 "units": {"p99": "ns"}}
JSON
out="$tmp/out"
timeout 120 /usr/bin/python3 "$sweep" "$tmp/sweep.json" --engine slurm --out "$out" \
  --smmu-sim "$smmu_sim" --no-plots >"$tmp/sweep.log" 2>&1
rc=$?
cat "$tmp/sweep.log"
((rc == 0)) || { show_logs; fail "smmu-sweep --engine slurm exited $rc"; }
[[ -f "$out/sweep.sbatch" ]] || fail "no sweep.sbatch"
grep -q 'SLURM_ARRAY_TASK_ID' "$out/sweep.sbatch" || fail "sweep.sbatch does not index by SLURM_ARRAY_TASK_ID"
grep -q 'Submitted batch job' "$tmp/sweep.log" || fail "sbatch did not submit"
ls "$out"/slurm/*_0.out "$out"/slurm/*_1.out >/dev/null 2>&1 || fail "no array task output files"
/usr/bin/python3 - "$out" <<'PY' || fail "results"
import csv, json, sys
out = sys.argv[1]
rows = list(csv.reader(open(f"{out}/results.csv")))
assert rows[0] == ["smmus[0].main_tlb.ways", "repeat", "p99", "walks"], rows[0]
assert [r[0] for r in rows[1:]] == ["1", "4"], rows
for r in rows[1:]:
    assert float(r[2]) > 0 and float(r[3]) > 0, r
res = json.load(open(f"{out}/results.json"))
assert res["failures"] == [] and res["engine"] == "slurm", res
print("results:", rows)
PY
# Resumable on Slurm too: nothing left to submit.
/usr/bin/python3 "$sweep" "$tmp/sweep.json" --engine slurm --out "$out" --smmu-sim "$smmu_sim" \
  --no-plots >"$tmp/again.log" 2>&1
grep -q "2 skipped" "$tmp/again.log" || { cat "$tmp/again.log"; fail "second run did not skip both points"; }
echo "passed"
