#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs of this host as Spark expects, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# Give it to Spark with spark.executor.resource.gpu.discoveryScript and, on standalone clusters,
# to each worker with spark.worker.resource.gpu.discoveryScript in SPARK_WORKER_OPTS (docs/cluster.md).
set -euo pipefail
addresses=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/ //g' -e 's/^/"/' -e 's/$/"/' | paste -sd, -)
echo "{\"name\": \"gpu\", \"addresses\": [${addresses}]}"
