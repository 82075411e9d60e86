#!/usr/bin/env bash
# The README's first command: install, build, and run dmlp's main job — the book's end-to-end
# Fashion-MNIST pipeline (ingest → train cnn, dropout, batch_norm in parallel → select the best →
# serve it → smoke load). Extra arguments go to `dmlp pipeline run` (e.g. --keep-serving,
# --json, -p port=0).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/bin/dmlp pipeline run configs/pipelines/fashion_mnist.yaml "$@"
