"""A one-node Slurm and a one-node Son of Grid Engine for the tests, from Debian's packages.

Each batch system lives in a temporary folder of its own (configuration, spool, state, logs, the
munge key and socket) and its daemons run as children of the test session on free ports, bound
to this machine; ``stop()`` ends them and removes the folder. Nothing under /etc or /var is
changed: the Debian packages' own cluster configuration is left as installed.

``missing()`` names the Debian packages to install (``make hpc`` installs them); ``install()``
installs them through apt-get where it may (root or password-less sudo), as ``make graphviz`` does.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

PACKAGES = {  # Debian package: a command it installs
    "slurm-wlm": "slurmctld", "munge": "munged",
    "gridengine-master": "sge_qmaster", "gridengine-exec": "sge_execd", "gridengine-client": "qsub",
}
SGE_BIN = Path("/usr/lib/gridengine")
SGE_PACKAGE_ROOT = Path("/var/lib/gridengine")


def missing() -> list[str]:
    return [pkg for pkg, cmd in PACKAGES.items()
            if not (shutil.which(cmd) or shutil.which(cmd, path="/usr/sbin:/usr/lib/gridengine"))]


def install() -> str | None:
    """Install what is missing, as `make hpc` does; None when all is there, else one line saying what to install."""
    needed = missing()
    if not needed:
        return None
    script = Path(__file__).resolve().parents[1] / "tools" / "apt-install.sh"
    done = subprocess.run(["sh", script, "Slurm and Grid Engine", "these tests", *needed],
                          capture_output=True, text=True)
    return None if not missing() else (done.stderr.strip() or f"could not install {' '.join(needed)}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise RuntimeError(f"{what} did not happen in {timeout:.0f} s\n{tail}")


def _stop_processes(processes):
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Slurm:
    """slurmctld + slurmd (+ munged) on this machine; ``env`` is what sbatch, squeue... need."""

    def __init__(self, folder: Path, cpus: int = 8, memory_mb: int = 16000):
        self.folder, self.cpus, self.memory_mb = Path(folder), cpus, memory_mb
        self.processes = []
        self.env = dict(os.environ, SLURM_CONF=str(self.folder / "slurm.conf"))

    def start(self):
        f, host = self.folder, socket.gethostname()
        for sub in ("munge", "state", "spool", "log"):
            (f / sub).mkdir(parents=True, exist_ok=True)
        (f / "munge").chmod(0o700)
        key = f / "munge" / "munge.key"
        key.write_bytes(os.urandom(128))
        key.chmod(0o600)
        munge_socket = f / "munge" / "munge.socket"
        self.processes.append(subprocess.Popen(
            ["munged", "--foreground", "--force", f"--socket={munge_socket}", f"--key-file={key}",
             f"--pid-file={f / 'munge' / 'munged.pid'}", f"--seed-file={f / 'munge' / 'seed'}",
             f"--log-file={f / 'log' / 'munged.log'}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        wait_for(munge_socket.exists, 20, "munged's socket", f / "log" / "munged.log")
        (f / "slurm.conf").write_text(f"""\
ClusterName=dask-course-test
SlurmctldHost={host}(127.0.0.1)
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
# Listen on the address the host name resolves to (127.0.0.1 here), not on every interface.
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
AuthType=auth/munge
AuthInfo=socket={munge_socket}
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation={f / 'state'}
SlurmdSpoolDir={f / 'spool'}
SlurmctldPidFile={f / 'slurmctld.pid'}
SlurmdPidFile={f / 'slurmd.pid'}
SlurmctldLogFile={f / 'log' / 'slurmctld.log'}
SlurmdLogFile={f / 'log' / 'slurmd.log'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# One node that declares more CPUs than the machine has, so that the tests' jobs (2 + 4 CPUs,
# then the jobqueue workers) run side by side on 2 cores rather than one after the other.
SlurmdParameters=config_overrides
NodeName={host} NodeAddr=127.0.0.1 CPUs={self.cpus} RealMemory={self.memory_mb} State=UNKNOWN
PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP
""")
        conf = str(f / "slurm.conf")
        for daemon in ("slurmctld", "slurmd"):
            self.processes.append(subprocess.Popen(
                [daemon, "-D", "-f", conf] + (["-i"] if daemon == "slurmctld" else []),
                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        wait_for(lambda: self._node_idle(), 90, "the Slurm node going idle", f / "log" / "slurmctld.log")
        return self

    def _node_idle(self) -> bool:
        for process in self.processes:
            if process.poll() is not None:
                logs = "".join(log.read_text()[-1500:] for log in sorted((self.folder / "log").glob("*")))
                raise RuntimeError(f"{process.args[0]} exited with {process.returncode}:\n{logs}")
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True)
        return out.stdout.strip() == "idle"

    def stop(self):
        if self.processes:
            subprocess.run(["scancel", "--full", "--partition=debug"], env=self.env, capture_output=True)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and subprocess.run(
                    ["squeue", "-h"], env=self.env, capture_output=True, text=True).stdout.strip():
                time.sleep(0.5)
        _stop_processes(self.processes[::-1])
        # A job step that outlived its job (slurmstepd carries slurmd's SLURM_CONF): made to stop.
        for pid in _processes_with("slurmstepd", f"SLURM_CONF={self.env['SLURM_CONF']}"):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.folder, ignore_errors=True)


class GridEngine:
    """sge_qmaster + sge_execd on this machine, in a cell of its own with SGE's stock shell settings.

    The queue ``all.q`` is made from SGE's template, as SGE's installer makes it, and keeps its
    shell settings (here ``shell /bin/sh``, ``shell_start_mode posix_compliant``; older SGEs and
    many sites have ``/bin/csh``), so a job script without ``#$ -S /bin/bash`` runs under sh as on a
    stock cluster. Added for the course's scripts: the parallel environments ``omp`` (all slots on
    one node) and ``mpi_16_tasks_per_node``, and the complex ``mem_per_core``, which the workshop's
    site defines; and root may submit (``min_uid 0``: the tests run as root).
    """

    def __init__(self, folder: Path, slots: int = 8):
        self.folder, self.slots = Path(folder), slots
        self.root = self.folder / "root"
        self.env = dict(os.environ, SGE_ROOT=str(self.root), SGE_CELL="default",
                        SGE_QMASTER_PORT=str(free_port()), SGE_EXECD_PORT=str(free_port()))
        self.env["PATH"] = f"{SGE_BIN}:{self.env['PATH']}"
        self.started = False

    def qconf(self, *args, input_file: str | None = None) -> str:
        if input_file is not None:
            path = self.folder / "qconf-input"
            path.write_text(input_file)
            args = (*args, str(path))
        result = subprocess.run([SGE_BIN / "qconf", *args], env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"qconf {' '.join(args)}: {result.stdout}{result.stderr}")
        return result.stdout

    def start(self):
        root, cell = self.root, self.root / "default"
        (cell / "common").mkdir(parents=True)
        for name in ("bin", "lib", "utilbin", "util"):
            (root / name).symlink_to(SGE_PACKAGE_ROOT / name)
        for sub in ("spooldb", "qmaster", "execd"):
            (self.folder / sub).mkdir()
        # SGE names a host by its address, through /etc/hosts, where this machine's name may be an
        # alias of localhost's address: then SGE knows it as "localhost", told so by host_aliases.
        own = socket.gethostname()
        host = subprocess.run([SGE_BIN / "gethostbyaddr", "-name", socket.gethostbyname(own)],
                              capture_output=True, text=True).stdout.strip()
        if host != own:
            (cell / "common" / "host_aliases").write_text(f"{host} {own}\n")
        self.host = host
        (cell / "common" / "act_qmaster").write_text(host + "\n")
        (cell / "common" / "bootstrap").write_text(f"""\
admin_user              none
default_domain          none
ignore_fqdn             true
spooling_method         berkeleydb
spooling_lib            libspoolb
spooling_params         {self.folder / 'spooldb'}
binary_path             {SGE_BIN}
qmaster_spool_dir       {self.folder / 'qmaster'}
security_mode           none
listener_threads        2
worker_threads          2
scheduler_threads       1
""")
        configuration = Path("/usr/share/gridengine/default-configuration").read_text()
        configuration = configuration.replace("/var/spool/gridengine/execd", str(self.folder / "execd"))
        configuration = configuration.replace("min_uid                1000", "min_uid                0")
        configuration = configuration.replace("min_gid                1000", "min_gid                0")
        (self.folder / "configuration").write_text(configuration)
        for step in (
            ["spoolinit", "berkeleydb", "libspoolb", str(self.folder / "spooldb"), "init"],
            ["spooldefaults", "configuration", str(self.folder / "configuration")],
            ["spooldefaults", "complexes", "/usr/share/gridengine/util/resources/centry"],
            ["spooldefaults", "usersets", "/usr/share/gridengine/util/resources/usersets"],
            ["spooldefaults", "managers", "root"],
        ):
            subprocess.run([SGE_BIN / step[0], *step[1:]], env=self.env, check=True, capture_output=True)
        subprocess.run([SGE_BIN / "sge_qmaster"], env=self.env, check=True, capture_output=True)
        self.started = True
        wait_for(lambda: subprocess.run([SGE_BIN / "qstat"], env=self.env, capture_output=True).returncode == 0,
                 60, "sge_qmaster answering", self.folder / "qmaster" / "messages")
        self.qconf("-ah", host)
        self.qconf("-as", host)
        # The workshop site's per-core memory complex, as `qconf -sc` shows it there.
        complexes = self.qconf("-sc")
        complexes += "mem_per_core        mem_per_core   MEMORY    <=    YES         YES        0        0\n"
        self.qconf("-Mc", input_file=complexes)
        self.qconf("-Ae", input_file=f"hostname {host}\nload_scaling NONE\n"
                   f"complex_values mem_per_core=64G\nuser_lists NONE\nxuser_lists NONE\n"
                   f"projects NONE\nxprojects NONE\nusage_scaling NONE\nreport_variables NONE\n")
        for pe, rule in (("omp", "$pe_slots"), ("mpi_16_tasks_per_node", "$fill_up")):
            self.qconf("-Ap", input_file=f"pe_name {pe}\nslots 999\nuser_lists NONE\nxuser_lists NONE\n"
                       f"start_proc_args NONE\nstop_proc_args NONE\nallocation_rule {rule}\n"
                       f"control_slaves FALSE\njob_is_first_task TRUE\nurgency_slots min\n"
                       f"accounting_summary FALSE\nqsort_args NONE\n")
        # Schedule every second rather than every 15 s: the tests wait for each job.
        scheduler = self.qconf("-ssconf")
        for key, value in (("schedule_interval", "0:0:1"), ("flush_submit_sec", "1"), ("flush_finish_sec", "1")):
            scheduler = re.sub(rf"^{key}\s.*$", f"{key} {value}", scheduler, flags=re.M)
        self.qconf("-Msconf", input_file=scheduler)
        # The stock queue (SGE's template), on this host, with the slots and the two PEs.
        queue = self.qconf("-sq")  # the template of a new queue
        lines = []
        for line in queue.splitlines():
            key = line.split(None, 1)[0] if line.strip() else ""
            if key == "qname":
                line = "qname all.q"
            elif key == "hostlist":
                line = f"hostlist {host}"
            elif key == "slots":
                line = f"slots {self.slots}"
            elif key == "pe_list":
                line = "pe_list make omp mpi_16_tasks_per_node"
            elif key == "load_thresholds":  # the 2 cores are shared: start jobs whatever the load
                line = "load_thresholds NONE"
            lines.append(line)
        self.queue_config = "\n".join(lines) + "\n"
        self.qconf("-Aq", input_file=self.queue_config)
        subprocess.run([SGE_BIN / "sge_execd"], env=self.env, check=True, capture_output=True)
        wait_for(self._host_up, 90, "sge_execd reporting", self.folder / "execd" / host / "messages")
        return self

    def _host_up(self) -> bool:
        out = subprocess.run([SGE_BIN / "qstat", "-f"], env=self.env, capture_output=True, text=True).stdout
        line = next((line for line in out.splitlines() if line.startswith(f"all.q@{self.host} ")), "")
        return bool(line) and "-NA-" not in line and not line.split()[-1].startswith(("a", "u", "d", "E"))

    def stop(self):
        if self.started:
            subprocess.run([SGE_BIN / "qdel", "-f", "-u", "*"], env=self.env, capture_output=True)
            subprocess.run([SGE_BIN / "qconf", "-ke", self.host], env=self.env, capture_output=True)
            subprocess.run([SGE_BIN / "qconf", "-km"], env=self.env, capture_output=True)
            # The daemons (and any job's shepherd) of this cell: asked to stop, then made to.
            deadline = time.monotonic() + 20
            while self._own_daemons() and time.monotonic() < deadline:
                time.sleep(0.5)
            for sig in (signal.SIGTERM, signal.SIGKILL):
                for pid in self._own_daemons():
                    os.kill(pid, sig)
                time.sleep(1)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _own_daemons(self) -> list[int]:
        return _processes_with(("sge_qmaster", "sge_execd", "sge_shepherd"), f"SGE_ROOT={self.root}")


def _processes_with(names, variable: str) -> list[int]:
    """The running processes called one of ``names`` whose environment holds ``variable``."""
    names = (names,) if isinstance(names, str) else names
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() in names:
                if variable.encode() + b"\0" in (proc / "environ").read_bytes() + b"\0":
                    pids.append(int(proc.name))
        except OSError:
            continue
    return pids
