#!/bin/bash -l
# The bikes analysis on 32 cores over two nodes of an SGE cluster, dask-mpi.
# Submit it from the folder that holds bikes_mpi.py:
#     qsub job_sge_mpi_32cores.sh
#$ -N bikes-dask-mpi
#$ -pe mpi_16_tasks_per_node 32
#$ -l mem_per_core=2G
#$ -l h_rt=01:00:00
#$ -j y
#$ -cwd

module load python3 openmpi  # your site's Python and MPI; the names vary
source "$HOME/dask-course/.venv/bin/activate"  # Dask, mpi4py, dask-mpi

# One MPI rank per granted core (NSLOTS): rank 0 is the scheduler, rank 1
# runs the script, the others are workers. Dask talks over InfiniBand (ib0).
# Each worker (one core) gets a memory limit under the 2 GB per core asked
# for above (1,800 MiB: 10 % headroom), so that Dask spills to disk before
# SGE kills the job; without it, Dask would assume a share of the node's.
mpirun -n "$NSLOTS" python bikes_mpi.py --interface ib0 --memory-limit 1800MiB
