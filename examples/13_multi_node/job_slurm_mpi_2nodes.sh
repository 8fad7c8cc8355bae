#!/bin/bash -l
# The bikes analysis on 32 cores over two nodes of a Slurm cluster, dask-mpi.
# Submit it from the folder that holds bikes_mpi.py:
#     sbatch job_slurm_mpi_2nodes.sh
#SBATCH --job-name=bikes-dask-mpi
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=16
#SBATCH --cpus-per-task=1
#SBATCH --mem-per-cpu=2G
#SBATCH --time=01:00:00
#SBATCH --output=bikes-dask-mpi-%j.log

module load python openmpi  # your site's Python and MPI; the names vary
source "$HOME/dask-course/.venv/bin/activate"  # Dask, mpi4py, dask-mpi

# One MPI rank per task (SLURM_NTASKS = nodes × tasks per node): rank 0 is
# the scheduler, rank 1 runs the script, the others are workers. Dask talks
# over InfiniBand (ib0). Each worker (one core) gets a memory limit under
# the 2 GB per core asked for above (1,800 MiB: 10 % headroom), so that Dask
# spills to disk before Slurm kills the job; without it, Dask would assume
# a share of the node's.
mpirun -n "$SLURM_NTASKS" python bikes_mpi.py --interface ib0 --memory-limit 1800MiB
