#!/bin/bash
# One nswasi shard per array task; submit from the repository root after
# `make build` (and scripts/provision.sh on every node).
#SBATCH --job-name=nswasi-full
#SBATCH --array=1-8               # shards 1..N; keep N equal to SHARDS
#SBATCH --exclusive               # one shard per node: no neighbour disturbs the measurements
#SBATCH --time=02:00:00
#SBATCH --output=nswasi-%A-%a.log
set -euo pipefail
SHARDS=8
out=results/full-${SLURM_ARRAY_JOB_ID}/shard-${SLURM_ARRAY_TASK_ID}
# nswasi needs root for network namespaces.
sudo bin/nswasi run --experiment experiments/full.yaml \
	--shard "${SLURM_ARRAY_TASK_ID}/${SHARDS}" --out "$out"
