"""How many CPU cores this job may use, for sizing Dask's local schedulers.

``os.cpu_count()`` counts the machine's cores, not the ones a job was given. On a shared
cluster node with 28 cores, a batch job granted 4 slots that starts 28 worker processes
competes with other people's jobs and runs slower, not faster. :func:`granted_cores` reads what
the job was actually granted:

1. a batch-system variable, the first of :data:`BATCH_VARIABLES` that holds a positive whole
   number: ``SLURM_CPUS_PER_TASK`` (Slurm), ``NSLOTS`` (SGE, e.g. Boston University's SCC),
   ``PBS_NP`` (Torque), ``NCPUS`` (PBS Pro), ``LSB_DJOB_NUMPROC`` (LSF);
2. the CPU affinity of this process (``os.sched_getaffinity``), which Slurm and container
   runtimes set to the cores they allow;
3. the cgroup CPU quota (cgroup v2 ``cpu.max``, cgroup v1 ``cpu.cfs_quota_us`` over
   ``cpu.cfs_period_us``), rounded up to whole cores.

The answer is the smallest of those that apply, and never more than ``os.cpu_count()``: a batch
grant counts even where the system does not enforce it (affinity then shows the whole node), and
what the operating system enforces still caps a grant that spans several nodes. Values that are
missing, malformed or not positive are ignored. The result is at least 1.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["BATCH_VARIABLES", "granted_cores"]

#: Environment variables in which batch systems state a job's cores, first match wins.
BATCH_VARIABLES = ("SLURM_CPUS_PER_TASK", "NSLOTS", "PBS_NP", "NCPUS", "LSB_DJOB_NUMPROC")

# Where the cgroup files are; tests point these at fake files.
_CGROUP_ROOT = Path("/sys/fs/cgroup")
_PROC_SELF_CGROUP = Path("/proc/self/cgroup")
_CGROUP_V1_CPU_DIRS = ("cpu,cpuacct", "cpuacct,cpu", "cpu")


def granted_cores() -> int:
    """The number of cores this job may use: batch grant, affinity and cgroup quota, smallest wins."""
    limits = [os.cpu_count() or 1]
    limits += [n for n in (_batch_cores(), _affinity_cores(), _cgroup_cores()) if n is not None]
    return max(1, min(limits))


def _positive_int(text: str | None) -> int | None:
    try:
        value = int(str(text).strip())
    except ValueError:
        return None
    return value if value > 0 else None


def _batch_cores() -> int | None:
    for name in BATCH_VARIABLES:
        cores = _positive_int(os.environ.get(name))
        if cores is not None:
            return cores
    return None


def _affinity_cores() -> int | None:
    if not hasattr(os, "sched_getaffinity"):  # macOS, Windows
        return None
    try:
        return len(os.sched_getaffinity(0)) or None
    except OSError:
        return None


def _cgroup_cores() -> int | None:
    quotas = [q for q in (_cgroup_v2_quota(), _cgroup_v1_quota()) if q is not None]
    return min(quotas) if quotas else None


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup path per controller list ("" for cgroup v2), from /proc/self/cgroup."""
    try:
        lines = _PROC_SELF_CGROUP.read_text().splitlines()
    except OSError:
        return {}
    groups = {}
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3:
            groups[parts[1]] = parts[2]
    return groups


def _ancestors(root: Path, group: str) -> list[Path]:
    """``root/group`` and each folder above it, up to ``root`` itself."""
    parts = [p for p in group.split("/") if p]
    return [root.joinpath(*parts[:i]) for i in range(len(parts), -1, -1)]


def _quota(quota: str, period: str) -> int | None:
    """Whole cores for a quota of ``quota`` µs per ``period`` µs; None for "max", -1 or junk."""
    quota_us, period_us = _positive_int(quota), _positive_int(period)
    if quota_us is None or period_us is None:
        return None
    return math.ceil(quota_us / period_us)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _cgroup_v2_quota() -> int | None:
    """The tightest ``cpu.max`` on the way from this process's cgroup up to the root."""
    group = _own_cgroups().get("")
    if group is None:
        return None
    quotas = []
    for folder in _ancestors(_CGROUP_ROOT, group):
        text = _read(folder / "cpu.max")
        fields = text.split() if text else []
        if len(fields) == 2:
            quotas.append(_quota(*fields))
    quotas = [q for q in quotas if q is not None]
    return min(quotas) if quotas else None


def _cgroup_v1_quota() -> int | None:
    """``cpu.cfs_quota_us / cpu.cfs_period_us`` of the cpu controller, in this process's cgroup or its mount."""
    groups = _own_cgroups()
    group = next((path for names, path in groups.items() if "cpu" in names.split(",")), "/")
    quotas = []
    for name in _CGROUP_V1_CPU_DIRS:
        for folder in _ancestors(_CGROUP_ROOT / name, group):
            quota, period = _read(folder / "cpu.cfs_quota_us"), _read(folder / "cpu.cfs_period_us")
            if quota is not None and period is not None:
                quotas.append(_quota(quota, period))
    quotas = [q for q in quotas if q is not None]
    return min(quotas) if quotas else None
