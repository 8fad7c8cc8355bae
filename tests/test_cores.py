"""granted_cores() reads each source of a job's core count, and survives junk in every one."""

import os

import pytest

from tutorial_helpers import cores


@pytest.fixture
def machine(monkeypatch, tmp_path):
    """A 16-core machine with no batch job, no affinity limit and no cgroup quota; tests narrow it."""
    for name in cores.BATCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)), raising=False)
    proc_cgroup = tmp_path / "proc-self-cgroup"
    proc_cgroup.write_text("0::/\n")
    monkeypatch.setattr(cores, "_PROC_SELF_CGROUP", proc_cgroup)
    monkeypatch.setattr(cores, "_CGROUP_ROOT", tmp_path / "cgroup")
    return tmp_path


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_whole_machine_when_nothing_limits(machine):
    assert cores.granted_cores() == 16


@pytest.mark.parametrize("name", cores.BATCH_VARIABLES)
def test_batch_variable(machine, monkeypatch, name):
    monkeypatch.setenv(name, "4")
    assert cores.granted_cores() == 4


def test_first_valid_batch_variable_wins(machine, monkeypatch):
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "3")
    monkeypatch.setenv("NSLOTS", "5")
    assert cores.granted_cores() == 3


@pytest.mark.parametrize("junk", ["", "four", "0", "-2", "2.5", " "])
def test_invalid_batch_variable_is_ignored(machine, monkeypatch, junk):
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", junk)
    assert cores.granted_cores() == 16
    monkeypatch.setenv("NSLOTS", "6")  # the next variable still counts
    assert cores.granted_cores() == 6


def test_batch_variable_with_spaces(machine, monkeypatch):
    monkeypatch.setenv("NSLOTS", " 8\n")
    assert cores.granted_cores() == 8


def test_batch_grant_capped_by_what_the_machine_allows(machine, monkeypatch):
    monkeypatch.setenv("NSLOTS", "56")  # a job spanning nodes: not all of it is here
    assert cores.granted_cores() == 16
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert cores.granted_cores() == 2


def test_affinity(machine, monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {2, 3, 7})
    assert cores.granted_cores() == 3


def test_no_affinity_on_this_platform(machine, monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity")
    assert cores.granted_cores() == 16


def test_affinity_error_is_ignored(machine, monkeypatch):
    def refuse(pid):
        raise OSError("not allowed")

    monkeypatch.setattr(os, "sched_getaffinity", refuse)
    assert cores.granted_cores() == 16


@pytest.mark.parametrize(("cpu_max", "expected"), [("200000 100000", 2), ("150000 100000", 2), ("max 100000", 16)])
def test_cgroup_v2_quota_rounds_up(machine, cpu_max, expected):
    write(machine / "cgroup" / "cpu.max", cpu_max + "\n")
    assert cores.granted_cores() == expected


def test_cgroup_v2_tightest_quota_on_the_path_counts(machine):
    (machine / "proc-self-cgroup").write_text("0::/jobs/job42/step0\n")
    write(machine / "cgroup" / "jobs" / "job42" / "step0" / "cpu.max", "max 100000\n")
    write(machine / "cgroup" / "jobs" / "job42" / "cpu.max", "300000 100000\n")
    write(machine / "cgroup" / "jobs" / "cpu.max", "800000 100000\n")
    assert cores.granted_cores() == 3


@pytest.mark.parametrize("junk", ["", "max", "abc 100000", "100000 0", "-1 100000", "1 2 3"])
def test_cgroup_v2_junk_is_ignored(machine, junk):
    write(machine / "cgroup" / "cpu.max", junk)
    assert cores.granted_cores() == 16


def test_cgroup_v1_quota(machine):
    (machine / "proc-self-cgroup").write_text("4:cpu,cpuacct:/\n3:memory:/\n")
    write(machine / "cgroup" / "cpu,cpuacct" / "cpu.cfs_quota_us", "400000\n")
    write(machine / "cgroup" / "cpu,cpuacct" / "cpu.cfs_period_us", "100000\n")
    assert cores.granted_cores() == 4


def test_cgroup_v1_own_group_and_separate_cpu_mount(machine):
    (machine / "proc-self-cgroup").write_text("2:cpuacct:/\n1:cpu:/docker/abc\n0::/\n")
    write(machine / "cgroup" / "cpu" / "docker" / "abc" / "cpu.cfs_quota_us", "250000\n")
    write(machine / "cgroup" / "cpu" / "docker" / "abc" / "cpu.cfs_period_us", "100000\n")
    write(machine / "cgroup" / "cpu" / "cpu.cfs_quota_us", "-1\n")
    write(machine / "cgroup" / "cpu" / "cpu.cfs_period_us", "100000\n")
    assert cores.granted_cores() == 3


def test_cgroup_v1_unlimited_or_junk_is_ignored(machine):
    write(machine / "cgroup" / "cpu" / "cpu.cfs_quota_us", "-1\n")
    write(machine / "cgroup" / "cpu" / "cpu.cfs_period_us", "100000\n")
    write(machine / "cgroup" / "cpuacct,cpu" / "cpu.cfs_quota_us", "lots\n")
    write(machine / "cgroup" / "cpuacct,cpu" / "cpu.cfs_period_us", "100000\n")
    assert cores.granted_cores() == 16


def test_missing_proc_self_cgroup(machine, monkeypatch):
    monkeypatch.setattr(cores, "_PROC_SELF_CGROUP", machine / "does-not-exist")
    write(machine / "cgroup" / "cpu.max", "200000 100000\n")  # v2 needs /proc/self/cgroup
    assert cores.granted_cores() == 16


def test_smallest_source_wins(machine, monkeypatch):
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "8")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(6)))
    write(machine / "cgroup" / "cpu.max", "500000 100000\n")
    assert cores.granted_cores() == 5


def test_never_more_than_cpu_count_and_at_least_one(machine, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setenv("NSLOTS", "8")
    assert cores.granted_cores() == 2
    monkeypatch.setattr(os, "cpu_count", lambda: None)  # os.cpu_count() may not know
    monkeypatch.delenv("NSLOTS")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set())
    assert cores.granted_cores() == 1


def test_on_this_machine():
    n = cores.granted_cores()
    assert 1 <= n <= (os.cpu_count() or 1)
