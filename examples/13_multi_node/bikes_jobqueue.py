"""
Bike trips on worker jobs that dask-jobqueue submits
====================================================

A script, not a lesson page: run it on a login node of an SGE or a Slurm cluster, in the
environment with Dask and dask-jobqueue, ``python bikes_jobqueue.py sge`` (or ``slurm``). It
starts a scheduler here, submits two worker jobs with ``qsub`` or ``sbatch``, runs the bikes
analysis on their workers as soon as they connect, and cancels the jobs when the cluster closes.

The lines that name your site's settings are marked: the parallel environment and memory
resource on SGE (``qconf -spl``, ``qconf -sc``), the partition and account on Slurm (``sinfo``,
``sacctmgr show assoc user=$USER``), and the network the nodes reach this machine on
(``ip -br addr``). The tests of the course run it on a one-node SGE and Slurm, on 127.0.0.1.
"""

import argparse
import sys

import dask
import dask.dataframe as dd
from dask_jobqueue import SGECluster, SLURMCluster
from distributed import Client

from tutorial_helpers import bikes

# What each worker job runs before its workers: your site's Python module, where there are
# modules, and the environment with Dask (DASK_COURSE_VENV, else ~/dask-course/.venv).
PYTHON_SETUP = [
    "command -v module >/dev/null && module load python3",
    'source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"',
]


def _listening_on(interface):
    """Scheduler and workers on ``interface``; dashboards on loopback (reach them by SSH tunnel)."""
    return {
        "interface": interface,
        "scheduler_options": {"interface": interface, "dashboard_address": "127.0.0.1:0"},
        "worker_extra_args": ["--dashboard-address", "127.0.0.1:0"],
    }


def sge_cluster(cores=16, processes=8, memory="28GiB", interface="ib0", job_extra_directives=(), **options):
    """Worker jobs of ``cores`` cores each on SGE; ``memory`` is one job's, shared by its workers.

    Scheduler and workers listen on ``interface``: the network between the nodes (``ib0``),
    ``lo`` when everything runs on one machine.
    """
    return SGECluster(
        cores=cores, processes=processes, memory=memory, walltime="01:00:00",
        resource_spec="mem_per_core=2G",  # your site's memory request: `qconf -sc`
        job_extra_directives=[
            f"-pe omp {cores}",  # your site's parallel environment: `qconf -spl`
            "-S /bin/bash",  # else the queue's shell (sh or csh) runs it
            *job_extra_directives,
        ],
        job_script_prologue=PYTHON_SETUP, python="python", **_listening_on(interface), **options,
    )


def slurm_cluster(cores=16, processes=8, memory="32GiB", interface="ib0", **options):
    """Worker jobs of ``cores`` cores each on Slurm; it asks Slurm for ``memory`` (--mem) too.

    Your site may need ``queue="partition"`` and ``account="project"`` (``sinfo`` lists the
    partitions, ``sacctmgr show assoc user=$USER`` your accounts).
    """
    return SLURMCluster(
        cores=cores, processes=processes, memory=memory, walltime="01:00:00",
        job_script_prologue=PYTHON_SETUP, python="python", **_listening_on(interface), **options,
    )


def analyse(client, files, workers):
    """Wait for ``workers`` workers, check they see the data, then answer the course's questions."""
    client.wait_for_workers(workers, timeout=600)
    bikes.check_workers_see_data(client, files)
    trips = dd.read_csv(files, dtype={"birth year": "float64", "end station id": "float64"})
    clean = trips[trips["tripduration"] > 0].dropna(subset=["end station id"])
    return dask.compute(  # one pass over the files for all three
        clean.shape[0],
        clean["start station name"].value_counts(split_out=1).nlargest(5),
        clean.groupby("usertype")["tripduration"].mean() / 60,
    )


def main(argv=None, **cluster_options):
    parser = argparse.ArgumentParser(description="The bikes analysis on dask-jobqueue worker jobs.")
    parser.add_argument("system", choices=["sge", "slurm"])
    parser.add_argument("--jobs", type=int, default=2, help="worker jobs to submit (default 2)")
    parser.add_argument("--cores", type=int, default=16, help="cores per job (default 16)")
    parser.add_argument("--processes", type=int, default=8, help="worker processes per job (default 8)")
    parser.add_argument("--memory", default="28GiB", help="memory per job (default 28GiB)")
    parser.add_argument("--interface", default="ib0", help="network the nodes reach this machine on")
    args = parser.parse_args(argv)
    make_cluster = sge_cluster if args.system == "sge" else slurm_cluster
    with make_cluster(args.cores, args.processes, args.memory, args.interface, **cluster_options) as cluster, \
            Client(cluster) as client:
        cluster.scale(jobs=args.jobs)  # qsub or sbatch, once per job
        try:  # as soon as the first job's workers are up
            n_trips, busiest, minutes = analyse(client, bikes.trip_files(), args.processes)
        except FileNotFoundError as error:
            sys.exit(f"bikes_jobqueue.py: {error}")
    # Leaving the `with` block closed the cluster, which cancelled the worker jobs.
    print(f"Trips after cleaning: {n_trips}")
    print("Busiest start stations:")
    print(busiest.to_string(header=False))
    print("Average minutes by user type:")
    print(minutes.round(2).to_string(header=False))


if __name__ == "__main__":
    main()
