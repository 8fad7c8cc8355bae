#!/bin/bash -l
# The bikes analysis on 32 cores over two nodes of an SGE cluster, dask-mpi.
# Submit it from the folder that holds bikes_mpi.py:
#     qsub job_sge_mpi_32cores.sh
#$ -N bikes-dask-mpi
#$ -pe mpi_16_tasks_per_node 32
#$ -l h_rt=01:00:00
#$ -j y
#$ -cwd

module load python3 openmpi  # your site's Python and MPI; the names vary
source "$HOME/dask-course/.venv/bin/activate"  # Dask, mpi4py, dask-mpi

# One MPI rank per granted core (NSLOTS): rank 0 is the scheduler, rank 1
# runs the script, the others are workers. Dask talks over InfiniBand (ib0).
mpirun -n "$NSLOTS" python bikes_mpi.py --interface ib0
