#!/bin/bash -l
# The bikes analysis on 32 cores over two nodes of an SGE cluster, dask-mpi.
# Submit it from the folder that holds bikes_mpi.py:
#     qsub job_sge_mpi_32cores.sh
# -S: run it with bash (an SGE queue runs job scripts with its own shell,
# sh or csh, `qconf -sq all.q | grep shell`, and ignores the #! line);
# -cwd: in the folder you submitted from, not $HOME.
#$ -N bikes-dask-mpi
#$ -S /bin/bash
#$ -cwd
#$ -j y
#$ -l h_rt=01:00:00
# Your site's names: "mpi_16_tasks_per_node" is the workshop site's parallel
# environment that places 16 ranks on each node (`qconf -spl` lists yours,
# `qconf -sp NAME` shows one's allocation_rule), "mem_per_core" its memory
# request (`qconf -sc` lists yours). Change those two lines to match.
#$ -pe mpi_16_tasks_per_node 32
#$ -l mem_per_core=2G

# Your site's Python and MPI modules, where the cluster has modules.
command -v module >/dev/null && module load python3 openmpi
# The environment with Dask, mpi4py and dask-mpi: DASK_COURSE_VENV, else
# ~/dask-course/.venv (`qsub -v DASK_COURSE_VENV=/path/to/venv ...`).
source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"

# One MPI rank per granted core (NSLOTS): rank 0 is the scheduler, rank 1
# runs the script, the others are workers. Dask talks over the network that
# DASK_INTERFACE names, InfiniBand (ib0) unless you say otherwise (`ip -br
# addr` on a node lists them). Each worker (one core) gets a memory limit
# under the 2 GB per core asked for above (1,800 MiB: 10 % headroom), so
# that Dask spills to disk before SGE kills the job.
mpirun -n "$NSLOTS" python bikes_mpi.py --interface "${DASK_INTERFACE:-ib0}" \
    --memory-limit 1800MiB
