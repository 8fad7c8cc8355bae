"""
On an HPC cluster: batch jobs, dask-mpi and dask-jobqueue
=========================================================

University clusters hand out nodes through a batch system: you describe the cores, memory and
time you need in a job script, submit it (``qsub`` on SGE, ``sbatch`` on Slurm), and it runs
when the nodes are free. There are three ways to bring Dask there: one job on one node that
runs your script with a cluster sized to the job; one job over several nodes in which MPI starts
the scheduler and the workers (``dask-mpi``); and a scheduler in your interactive session that
submits worker jobs for you (``dask-jobqueue``). This lesson writes each for SGE and for Slurm.

**You will be able to:** write ``qsub`` and ``sbatch`` scripts whose Dask workers × threads
match the cores they request, run a Dask script over several nodes with ``mpirun`` and
``dask-mpi``, and configure ``SGECluster`` and ``SLURMCluster`` and read the job scripts they
would submit.

**Estimated time:** 30 minutes.
"""

# %%
# .. dropdown:: Instructor notes
#    :class-container: instructor-notes
#    :icon: mortar-board
#
#    - **What usually goes wrong:** Learners run the batch script on a login node, or ask the job
#      scheduler for more cores than Dask is told to use.
#    - **Do not skip:** Size Dask to what the job was granted, not to the node: one node with a
#      batch script first, dask-mpi or dask-jobqueue when that is not enough.
#    - **Ask the room:** Which of the three ways fits the jobs you run now?

# %%
# Which of the three?
# -------------------
# .. list-table::
#    :header-rows: 1
#
#    * - Your work needs
#      - Use
#      - Who starts scheduler and workers
#    * - the cores of one node (4 to 32 or so)
#      - a batch job that runs your script; the script starts a ``LocalCluster`` sized to the job
#      - your script
#    * - more cores or memory than one node has
#      - ``dask-mpi`` in one batch job over several nodes
#      - ``mpirun``: one MPI rank per core
#    * - an interactive session (Jupyter) that grows and shrinks its cluster
#      - ``dask-jobqueue``
#      - the session's scheduler, which submits worker jobs

# %%
# One node: a batch script
# ------------------------
# The script ``bikes_batch.py`` of :ref:`dask-distributed` takes the cluster's shape on its
# command line, ``python bikes_batch.py --workers N --threads M``, and starts a ``LocalCluster``
# of N worker processes with M threads each inside ``if __name__ == "__main__":``. A job script
# asks the :term:`batch system <job scheduler>` for cores and then uses exactly those: workers × threads = cores
# granted. Both batch systems put the number of cores in an environment variable (``NSLOTS`` on
# SGE, ``SLURM_CPUS_PER_TASK`` on Slurm), so the script computes the number of workers from it
# and stays right when you change the request. ``-pe omp 16`` is a *parallel environment*; its
# name differs between SGE sites (ask yours, or run ``qconf -spl``), and so does the memory
# request ``-l mem_per_core`` (``qconf -sc`` lists what yours offers: ``h_vmem``,
# ``mem_free``, ...): the scripts say which lines are the workshop site's. Two lines every SGE
# script needs: ``#$ -S /bin/bash``, because an SGE queue runs job scripts with its own shell
# (``sh`` or ``csh``: ``qconf -sq all.q`` shows it) and ignores the ``#!`` line, and
# ``#$ -cwd``, because SGE would start the job in your home folder. The scripts activate the
# environment ``DASK_COURSE_VENV`` names, ``~/dask-course/.venv`` unless you set it (on SGE,
# pass it with ``qsub -v DASK_COURSE_VENV``), and load a module only where the cluster has
# modules.
#
# .. tab-set::
#
#    .. tab-item:: SGE (qsub)
#
#       .. literalinclude:: /examples/13_multi_node/job_sge_16cores.sh
#          :language: bash
#
#    .. tab-item:: Slurm (sbatch)
#
#       .. literalinclude:: /examples/13_multi_node/job_slurm_16cores.sh
#          :language: bash
#
# Submit with ``qsub job_sge_16cores.sh`` or ``sbatch job_slurm_16cores.sh`` from the folder
# that holds ``bikes_batch.py``; watch the queue with ``qstat -u $USER`` or ``squeue -u $USER``.
# Options on the command line override the script's own: ``qsub -pe omp 4 job_sge_16cores.sh``
# or ``sbatch --cpus-per-task=4 --mem=8G job_slurm_16cores.sh`` try a smaller size without
# editing it. The course's tests submit every script on this page that way, to a one-node SGE
# and Slurm, and compare the results in the job's log with pandas'. To change the size for
# good, change only the core request (4, 8, 16, 28, 32, ...). The table shows how many workers
# each split gives: one thread per worker suits pure-Python work, two or four suit pandas and
# NumPy, which release Python's lock while they compute.
import pandas as pd

layouts = pd.DataFrame(
    [(cores, threads, cores // threads)
     for cores in (4, 8, 16, 28, 32) for threads in (1, 2, 4) if cores % threads == 0],
    columns=["cores", "threads per worker", "workers"],
)
layouts.pivot(index="cores", columns="threads per worker", values="workers")

# %%
# Several nodes: dask-mpi
# -----------------------
# When one node is not enough, one batch job can hold cores on several nodes, and MPI starts
# one copy of your script per core (an MPI *rank*), on every node of the job. The ``dask-mpi``
# package turns those copies into a Dask cluster: ``initialize()`` makes rank 0 the scheduler
# and ranks 2 and up the workers (they never return from it), and lets rank 1 carry on with the
# rest of the script as the client. Everything after ``initialize()`` is ordinary Dask code:
#
# .. container:: not-run-here
#
#    .. literalinclude:: /examples/13_multi_node/bikes_mpi.py
#       :language: python
#       :start-at: import argparse
#
# On one machine, ``mpirun -n 4 python bikes_mpi.py`` runs it with two workers, on the loopback
# network. It needs an MPI library (on a cluster, ``module load openmpi``; on Debian or Ubuntu,
# ``apt-get install openmpi-bin``) and, in your Python environment, ``pip install mpi4py
# dask-mpi``. The course installs neither, and the script works only when ``mpirun`` starts it,
# so this page shows it but does not run it. The course's tests run exactly that, with four
# ranks, and check the counts it prints against pandas. On a cluster, the job script asks for
# the ranks on several nodes and names the network between them (``DASK_INTERFACE``,
# InfiniBand's ``ib0`` unless set: ``ip -br addr`` on a node lists its networks). Slurm can also
# start the ranks itself with ``srun`` in place of ``mpirun``.
#
# Before any work, the script checks that every worker can read the data
# (``bikes.check_workers_see_data``): the workers read the trip files themselves, so
# ``DASK_COURSE_DATA`` must name a folder on a filesystem that all nodes share, and a worker on
# a node that does not see it stops the job with one line naming it. The script also quiets
# Dask's own logging to errors, so the job's log holds the results rather than each rank's
# start-up and shutdown messages.
#
# .. tab-set::
#
#    .. tab-item:: SGE (qsub)
#
#       .. literalinclude:: /examples/13_multi_node/job_sge_mpi_32cores.sh
#          :language: bash
#
#    .. tab-item:: Slurm (sbatch)
#
#       .. literalinclude:: /examples/13_multi_node/job_slurm_mpi_2nodes.sh
#          :language: bash
#
# Two of the ranks are not workers: the scheduler and the client mostly wait, so 32 ranks give
# 30 workers of one thread each.

# %%
# Worker jobs from your session: dask-jobqueue
# --------------------------------------------
# ``dask-jobqueue`` works the other way round. The scheduler runs in your Python session (on a
# login node, or in Jupyter through the cluster's web portal), and *worker jobs* are submitted
# to the batch system as you ask for them. You describe one job: its cores, memory and time,
# how many worker processes share them, and the lines that set up Python on the node.
#
# Creating the cluster object starts its scheduler at once, so here it listens on loopback only
# and is closed by the ``with`` block. No job is submitted until you scale it, so we can read
# the job script it would submit. The scheduler's port changes on every run: the script is shown
# with ``SCHEDULER_ADDRESS`` in its place.
#
# ``memory`` is what one job's workers may use in all: dask-jobqueue gives each worker an equal
# share as its ``--memory-limit``. It does not ask SGE for any memory, though: without
# ``resource_spec`` the job would get the site's default, whatever the workers' limits say.
# Here ``resource_spec`` asks for 2 GB for each of the 16 cores, 32 GB, and ``memory`` stays a
# little below that, so that Dask spills to disk and pauses workers before SGE kills the job for
# using more than it asked for.
from dask_jobqueue import SGECluster

python_setup = [
    "command -v module >/dev/null && module load python3",  # where the cluster has modules
    'source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"',
]
on_this_machine = {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"}

with SGECluster(
    cores=16, processes=8, memory="28GiB", resource_spec="mem_per_core=2G", walltime="01:00:00",
    job_extra_directives=["-pe omp 16", "-S /bin/bash"],
    job_script_prologue=python_setup, python="python",
    scheduler_options=on_this_machine,
) as cluster:
    sge_script = cluster.job_script()
    sge_address = cluster.scheduler_address
print(sge_script.replace(sge_address, "SCHEDULER_ADDRESS"))

# %%
# ``-S /bin/bash`` is there for the same reason as in the job scripts above: without it SGE
# runs the job with the queue's shell, ``sh`` or ``csh``, which may not know the ``source``
# line. One job is one ``dask worker`` command on one node, starting ``--nworkers 8`` processes of
# ``--nthreads 2`` with a share of the job's memory each (``processes`` and ``cores`` decide the
# split: 28 GiB / 8 = 3.5 GiB); ``dummy-name`` becomes each job's own name when it is submitted.
# The address it connects to is the scheduler's, on ``127.0.0.1`` here, which works only because
# nothing here leaves this machine. On a cluster, let the scheduler listen where the :term:`compute nodes <compute node>`
# can reach it, e.g. ``scheduler_options={"interface": "ib0"}``.
#
# The same for Slurm, with the partition (``queue``) and the account to charge. ``SLURMCluster``
# asks Slurm for ``memory`` itself (``--mem``) and gives each worker its share as its limit.
from dask_jobqueue import SLURMCluster

with SLURMCluster(
    cores=16, processes=8, memory="32GiB", walltime="01:00:00",
    queue="normal", account="my_project",
    job_script_prologue=["command -v module >/dev/null && module load python", python_setup[1]],
    python="python",
    scheduler_options=on_this_machine,
) as cluster:
    slurm_script = cluster.job_script()
    slurm_address = cluster.scheduler_address
print(slurm_script.replace(slurm_address, "SCHEDULER_ADDRESS"))

# %%
# Using it on a cluster
# ---------------------
# There, you would keep the cluster open and ask for jobs. ``scale(jobs=4)`` submits four jobs
# (32 workers here); ``adapt(minimum_jobs=1, maximum_jobs=10)`` submits and cancels jobs as the
# work needs them. A ``Client`` on the cluster then runs your code on whatever workers have
# started. The settings can live in ``~/.config/dask/jobqueue.yaml`` instead of in your code.
# The script ``bikes_jobqueue.py`` does it all: run ``python bikes_jobqueue.py sge`` (or
# ``slurm``) on a login node, and it submits two worker jobs, runs the bikes analysis as soon as
# the first job's workers connect, and cancels the jobs when the cluster closes. It calls
# ``qsub`` or ``sbatch``, which only a cluster has, so it is shown here, not run; the course's
# tests run its functions against a one-node SGE and Slurm, with the workers on ``127.0.0.1``:
#
# .. container:: not-run-here
#
#    .. literalinclude:: /examples/13_multi_node/bikes_jobqueue.py
#       :language: python
#       :start-at: import argparse
#
# Worker jobs wait in the queue like any other job: the first workers may take minutes to
# arrive, and ``walltime`` ends them, work or not. Ask for less time than the queue's limit and
# more than your computation needs.

# %%
# Key points
# ----------
# - On a batch system, a job asks for cores and your Dask cluster must use exactly those:
#   workers × threads = cores granted (``NSLOTS`` on SGE, ``SLURM_CPUS_PER_TASK`` on Slurm).
# - One node: submit a job that runs your script with ``--workers`` and ``--threads``; the
#   script starts the cluster inside ``if __name__ == "__main__":``.
# - Several nodes: ``mpirun`` + ``dask-mpi``'s ``initialize()`` turn one MPI job into a
#   scheduler, a client and workers, with one code path for all of them.
# - Interactive and elastic: ``dask-jobqueue``'s ``SGECluster`` and ``SLURMCluster`` submit
#   worker jobs for you; ``job_script()`` shows exactly what they will submit.
# - Anything that listens (a scheduler, a dashboard) should listen only where it must be
#   reached: loopback on one machine, the cluster's internal network on many.

# %%
# Exercise
# --------
# Your cluster's nodes have 32 cores and 128 GiB of memory, of which Slurm lets a job use at
# most 120 GiB (the rest is the system's); the partition for short jobs is called ``short``,
# your project's account is ``my_project``, and the nodes talk to each other over InfiniBand,
# ``ib0``. Configure a ``SLURMCluster`` whose jobs each take a whole node (all its cores, all
# the memory a job may have) for two hours, as 4 worker processes of 8 threads each, with the
# workers on ``ib0`` (the ``interface`` argument, which names the scheduler's network too unless
# ``scheduler_options`` gives its host: keep ``scheduler_options=on_this_machine``, as this
# machine has no ``ib0``). Put the job script it would submit in ``answer`` (a str,
# ``cluster.job_script()``, taken inside the ``with`` block) and run the check below: it reads
# the ``#SBATCH`` request and the ``dask worker`` command from your script, compares them with
# the request stated here, and says what is wrong, without giving the answer away. Nothing is
# submitted: dask-jobqueue writes the script without Slurm.
answer = None  # your answer, computed: replace None

# %%
from tutorial_helpers.exercises import check

check("hpc_job_schedulers", answer)

# %%
# .. dropdown:: Solution
#
#    .. code-block:: python
#
#       with SLURMCluster(
#           cores=32, processes=4, memory="120GiB", walltime="02:00:00",
#           queue="short", account="my_project", interface="ib0",
#           job_script_prologue=python_setup[1:], python="python",
#           scheduler_options=on_this_machine,
#       ) as cluster:
#           exercise_script = cluster.job_script()
#           exercise_address = cluster.scheduler_address
#       print(exercise_script.replace(exercise_address, "SCHEDULER_ADDRESS"))
#       answer = exercise_script
#       check("hpc_job_schedulers", answer)
