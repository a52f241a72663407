#!/usr/bin/env bash
# Start a single-node Slurm cluster (munge + slurmctld + slurmd) for the executor tests.
# Usage: scripts/start_slurm.sh DIR   → writes DIR/slurm.conf and prints its path.
# Needs Debian's slurm-wlm and munge packages (installs them when run as root with apt).
set -euo pipefail
dir=${1:?usage: start_slurm.sh DIR}
mkdir -p "$dir/spool" "$dir/state"
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    (apt-get install -y -q slurm-wlm munge >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q slurm-wlm munge >/dev/null; })
  else
    echo "slurm-wlm and munge are not installed" >&2; exit 3
  fi
fi
host=$(hostname)
cat > "$dir/slurm.conf" <<CONF
ClusterName=curate-test
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmdSpoolDir=$dir/spool
StateSaveLocation=$dir/state
SlurmUser=$(id -un)
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
NodeName=$host CPUs=$(nproc) RealMemory=2000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
if ! pgrep -x munged >/dev/null; then
  mkdir -p /run/munge && chown munge:munge /run/munge 2>/dev/null || true
  [ -f /etc/munge/munge.key ] || (command -v mungekey >/dev/null && mungekey --create >/dev/null 2>&1) || true
  munged --force >/dev/null 2>&1 || munged >/dev/null 2>&1
fi
export SLURM_CONF="$dir/slurm.conf"
slurmctld >/dev/null 2>&1
slurmd >/dev/null 2>&1
for _ in $(seq 1 30); do
  if sinfo -h -o %T 2>/dev/null | grep -qE 'idle|mixed'; then echo "$dir/slurm.conf"; exit 0; fi
  sleep 1
done
echo "slurm did not come up; see $dir/slurmctld.log and $dir/slurmd.log" >&2
exit 4
