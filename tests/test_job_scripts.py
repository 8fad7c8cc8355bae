"""The batch job scripts in examples/13_multi_node: valid bash, and they use the cores they ask for.

Each script runs here under bash with stand-ins for ``python``, ``mpirun`` and ``module`` that
only record their arguments, and with the environment variable the batch system would set from
the script's own directives (``NSLOTS`` on SGE, ``SLURM_CPUS_PER_TASK``/``SLURM_NTASKS`` on
Slurm). The recorded command lines must use exactly the cores requested, for every size the
lesson suggests. tests/test_batch_systems.py submits the same scripts to a real Slurm and SGE.
"""

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT

FOLDER = ROOT / "examples" / "13_multi_node"
SCRIPTS = sorted(FOLDER.glob("job_*.sh"))
ONE_NODE = [s for s in SCRIPTS if "_mpi_" not in s.name]
MPI = [s for s in SCRIPTS if "_mpi_" in s.name]
ids = [s.name for s in SCRIPTS]

RECORDER = """#!/bin/sh
printf '%s\\n' "$(basename "$0") $*" >> "$RECORD"
"""


def directives(text: str) -> tuple[str, dict[str, str]]:
    """The batch system a script is for, and the variables it would set from the directives."""
    sge = [line[2:].split() for line in text.splitlines() if line.startswith("#$")]
    slurm = dict(
        line.removeprefix("#SBATCH").strip().lstrip("-").split("=", 1)
        for line in text.splitlines() if line.startswith("#SBATCH")
    )
    if sge:
        (slots,) = [words[2] for words in sge if words[0] == "-pe"]
        return "sge", {"NSLOTS": slots}
    tasks = slurm.get("ntasks") or str(int(slurm["nodes"]) * int(slurm["ntasks-per-node"]))
    env = {"SLURM_CPUS_PER_TASK": slurm["cpus-per-task"], "SLURM_NTASKS": tasks}
    if "mem" in slurm:  # --mem=32G: Slurm gives it in MB
        env["SLURM_MEM_PER_NODE"] = str(_mebibytes(slurm["mem"]))
    return "slurm", env


def _mebibytes(size: str) -> int:
    """``4G``, ``3686MiB``, ``2GB`` as MiB (batch systems count memory in powers of 1024)."""
    number, unit = re.fullmatch(r"(\d+)([KMGT]?)(?:i?B)?", size).groups()
    return int(number) * {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1024**2}[unit]


def memory_requested_per_core(text: str) -> int:
    """MiB per core the job asks the batch system for."""
    kind, env = directives(text)
    if kind == "sge":
        (spec,) = re.findall(r"^#\$ -l mem_per_core=(\S+)", text, re.M)
        return _mebibytes(spec)
    slurm = dict(line.removeprefix("#SBATCH").strip().lstrip("-").split("=", 1)
                 for line in text.splitlines() if line.startswith("#SBATCH"))
    if "mem-per-cpu" in slurm:
        return _mebibytes(slurm["mem-per-cpu"])
    return _mebibytes(slurm["mem"]) // int(env["SLURM_CPUS_PER_TASK"])


def cores_requested(text: str) -> int:
    kind, env = directives(text)
    if kind == "sge":
        return int(env["NSLOTS"])
    return int(env["SLURM_CPUS_PER_TASK"]) * int(env["SLURM_NTASKS"])


def run_with_stand_ins(text: str, tmp_path: Path) -> list[list[str]]:
    """Run a job script as the batch system would; return the commands it ran, as argument lists."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name in ("python", "mpirun", "module"):
        (stubs / name).write_text(RECORDER)
        (stubs / name).chmod(0o755)
    home = tmp_path / "home"
    (home / "dask-course" / ".venv" / "bin").mkdir(parents=True)
    (home / "dask-course" / ".venv" / "bin" / "activate").write_text("")
    script = tmp_path / "job.sh"
    script.write_text(text)
    record = tmp_path / "record.txt"
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "HOME": str(home), "RECORD": str(record),
           **directives(text)[1]}
    subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, check=True, timeout=30)
    return [shlex.split(line) for line in record.read_text().splitlines()]


def option(args: list[str], name: str) -> int:
    return int(args[args.index(name) + 1])


def test_the_lesson_has_its_job_scripts():
    assert len(ONE_NODE) >= 2 and len(MPI) >= 2
    assert {"sge", "slurm"} == {directives(s.read_text())[0] for s in ONE_NODE}
    assert {"sge", "slurm"} == {directives(s.read_text())[0] for s in MPI}


@pytest.mark.parametrize("script", SCRIPTS, ids=ids)
def test_script_is_valid_bash(script):
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert script.read_text().startswith("#!/bin/bash")


@pytest.mark.parametrize("script", SCRIPTS, ids=ids)
def test_directives_come_before_the_first_command(script):
    # qsub and sbatch stop reading directives at the first line that is not a comment.
    lines = script.read_text().splitlines()
    first_command = next(i for i, line in enumerate(lines) if line.strip() and not line.startswith("#"))
    assert all(i < first_command for i, line in enumerate(lines) if line.startswith(("#$", "#SBATCH")))


@pytest.mark.parametrize("cores", [4, 8, 16, 28, 32])
@pytest.mark.parametrize("script", ONE_NODE, ids=[s.name for s in ONE_NODE])
def test_one_node_script_uses_the_cores_it_requests(script, cores, tmp_path):
    # Changing only the request (as the lesson says) must keep workers × threads = cores.
    text = re.sub(r"(-pe \S+ |--cpus-per-task=)16\b", rf"\g<1>{cores}", script.read_text())
    assert cores_requested(text) == cores
    (python,) = run_with_stand_ins(text, tmp_path)[-1:]
    assert python[:2] == ["python", "bikes_batch.py"]
    workers, threads = option(python, "--workers"), option(python, "--threads")
    assert workers >= 1 and workers * threads == cores
    # Each worker's memory limit: under its share of the memory the job asks for.
    limit = _mebibytes(python[python.index("--memory-limit") + 1])
    assert 0.8 * threads * memory_requested_per_core(text) <= limit < threads * memory_requested_per_core(text)


@pytest.mark.parametrize("script", MPI, ids=[s.name for s in MPI])
def test_mpi_script_starts_one_rank_per_core(script, tmp_path):
    text = script.read_text()
    commands = run_with_stand_ins(text, tmp_path)
    (mpirun,) = [c for c in commands if c[0] == "mpirun"]
    assert option(mpirun, "-n") == cores_requested(text) >= 3  # scheduler, client, workers
    assert mpirun[3:5] == ["python", "bikes_mpi.py"]
    assert (FOLDER / "bikes_mpi.py").exists()
    assert mpirun[mpirun.index("--interface") + 1] == "ib0"
    # One core per worker: its memory limit is under the memory per core the job asks for.
    limit = _mebibytes(mpirun[mpirun.index("--memory-limit") + 1])
    assert 0.8 * memory_requested_per_core(text) <= limit < memory_requested_per_core(text)


SGE_SCRIPTS = [s for s in SCRIPTS if directives(s.read_text())[0] == "sge"]
SLURM_SCRIPTS = [s for s in SCRIPTS if directives(s.read_text())[0] == "slurm"]


@pytest.mark.parametrize("script", SGE_SCRIPTS, ids=[s.name for s in SGE_SCRIPTS])
def test_sge_script_runs_under_bash_in_the_submit_folder(script):
    # An SGE queue runs a job script with its own shell, sh or csh (the #! line is ignored), in $HOME.
    lines = script.read_text().splitlines()
    assert "#$ -S /bin/bash" in lines and "#$ -cwd" in lines


@pytest.mark.parametrize("script", SCRIPTS, ids=ids)
def test_site_specific_lines_say_how_to_find_yours(script):
    text = script.read_text()
    hints = ("qconf -spl", "qconf -sc") if script in SGE_SCRIPTS else ("sinfo",)
    for hint in hints:
        assert hint in text, f"{script.name} should say how to find your site's settings ({hint})"
    # `module` only where the cluster has it; the environment from DASK_COURSE_VENV, else the default.
    module_lines = [line for line in text.splitlines() if "module load" in line and not line.startswith("#")]
    guarded = "command -v module >/dev/null && module load "
    assert module_lines and all(line.startswith(guarded) for line in module_lines)
    assert 'source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"' in text


@pytest.mark.parametrize("script", SCRIPTS, ids=ids)
def test_script_runs_without_modules_and_with_another_environment(script, tmp_path):
    # No `module` command, and the environment named by DASK_COURSE_VENV: no "command not found",
    # and that environment's activate script is the one sourced.
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name in ("python", "mpirun"):
        (stubs / name).write_text(RECORDER)
        (stubs / name).chmod(0o755)
    venv = tmp_path / "elsewhere" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "activate").write_text('printf "%s\\n" "activated" >> "$RECORD"\n')
    record = tmp_path / "record.txt"
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "HOME": str(tmp_path / "home"), "RECORD": str(record),
           "DASK_COURSE_VENV": str(venv), **directives(script.read_text())[1]}
    result = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert record.read_text().splitlines()[0] == "activated"
