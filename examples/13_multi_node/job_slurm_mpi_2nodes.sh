#!/bin/bash -l
# The bikes analysis on 32 cores over two nodes of a Slurm cluster, dask-mpi.
# Submit it from the folder that holds bikes_mpi.py:
#     sbatch job_slurm_mpi_2nodes.sh
# Your site may also need --partition and --account (`sinfo` lists the
# partitions and their nodes' cores, `scontrol show config` the defaults).
#SBATCH --job-name=bikes-dask-mpi
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=16
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=2G
#SBATCH --time=01:00:00
#SBATCH --output=bikes-dask-mpi-%j.log

# Your site's Python and MPI modules, where the cluster has modules.
command -v module >/dev/null && module load python openmpi
# The environment with Dask, mpi4py and dask-mpi: DASK_COURSE_VENV, else
# ~/dask-course/.venv.
source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"

# One MPI rank per task (SLURM_NTASKS = nodes × tasks per node): rank 0 is
# the scheduler, rank 1 runs the script, the others are workers. Dask talks
# over the network that DASK_INTERFACE names, InfiniBand (ib0) unless you say
# otherwise (`ip -br addr` on a node lists them). Each worker (one core) gets
# a memory limit under the 2 GB per core asked for above (1,800 MiB: 10 %
# headroom), so that Dask spills to disk before Slurm kills the job.
mpirun -n "$SLURM_NTASKS" python bikes_mpi.py --interface "${DASK_INTERFACE:-ib0}" \
    --memory-limit 1800MiB
