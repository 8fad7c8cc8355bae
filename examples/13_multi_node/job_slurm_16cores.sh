#!/bin/bash -l
# The bikes analysis as a batch job on one node of a Slurm cluster, 16 cores.
# Submit it from the folder that holds bikes_batch.py:
#     sbatch job_slurm_16cores.sh
# Slurm runs it with the #! line's shell, in the folder you submitted from,
# with your environment. Your site may also need --partition and --account
# (`sinfo` lists the partitions, `sacctmgr show assoc user=$USER` your accounts).
#SBATCH --job-name=bikes-dask
#SBATCH --nodes=1
#SBATCH --ntasks=1
#SBATCH --cpus-per-task=16
#SBATCH --mem=32G
#SBATCH --time=01:00:00
#SBATCH --output=bikes-dask-%j.log

# Slurm puts the number of cores it granted in SLURM_CPUS_PER_TASK. Split
# them into worker processes × threads per worker: 1 thread for pure-Python
# work, 2 or 4 for pandas and NumPy.
THREADS=2
WORKERS=$((SLURM_CPUS_PER_TASK / THREADS))
# Each worker's memory limit: its share of the job's memory (--mem, which
# Slurm puts in SLURM_MEM_PER_NODE, in MB), less 10 %, so that Dask spills
# to disk before Slurm kills the job for going over it. Without it, Dask
# would assume the whole node's memory.
MEMORY_LIMIT="$((SLURM_MEM_PER_NODE * 9 / 10 / WORKERS))MiB"

# Your site's Python module, where the cluster has modules (`module avail`).
command -v module >/dev/null && module load python
# The environment with Dask: DASK_COURSE_VENV, else ~/dask-course/.venv.
source "${DASK_COURSE_VENV:-$HOME/dask-course/.venv}/bin/activate"

python bikes_batch.py --workers "$WORKERS" --threads "$THREADS" \
    --memory-limit "$MEMORY_LIMIT"
