#!/usr/bin/env bash
# Starts a one-node Slurm cluster on loopback for the search's Slurm test and benchmark: munged first, then slurmctld
# and slurmd from Debian's slurm-wlm, with a minimal slurm.conf (cluster "condensa", controller and node "localhost",
# CPUs=2, one partition "debug"). Installs the packages when they are missing and this runs as root. Idempotent: a
# cluster that already answers is left as it is. Used by .ci/run, and the same way by hand:
#   sudo .ci/slurm-up.sh && sinfo
set -euo pipefail

if sinfo -h -o %P >/dev/null 2>&1 && [ -n "$(sinfo -h -o %P 2>/dev/null)" ]; then
  echo "slurm-up: a Slurm controller already answers ($(sinfo -h -o '%P %D %T' | tr '\n' ' '))"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "slurm-up: needs root to install and start munge and Slurm" >&2
  exit 1
fi
if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munge: a key, its folders, the daemon (as the munge user Debian creates).
mkdir -p /etc/munge /var/lib/munge /var/log/munge /run/munge
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /var/lib/munge /var/log/munge /run/munge
chmod 0700 /etc/munge /var/lib/munge /var/log/munge
chmod 0755 /run/munge
chmod 0400 /etc/munge/munge.key
if ! pgrep -x munged >/dev/null; then
  runuser -u munge -- /usr/sbin/munged --force
fi
for _ in $(seq 1 20); do munge -n >/dev/null 2>&1 && break; sleep 0.5; done
munge -n | unmunge >/dev/null

# Slurm: controller and node on loopback, run as root, no accounting, no cgroups.
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<'CONF'
ClusterName=condensa
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=localhost CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || slurmctld
pgrep -x slurmd >/dev/null || slurmd
for _ in $(seq 1 60); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  case "$state" in idle*|mix*|alloc*) echo "slurm-up: node localhost is $state"; sinfo; exit 0 ;; esac
  sleep 1
done
echo "slurm-up: the node did not come up; logs:" >&2
tail -n 20 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2 || true
exit 1
