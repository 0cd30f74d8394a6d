#!/usr/bin/env bash
# Called by the batch-predict workflow with the pinned champion's folder as $1. Replace the body
# with your batch job, e.g. `python -m pricing.batch --model-dir "$1" --out predictions/`.
set -euo pipefail
model_dir="$1"
echo "Scoring today's listings with ${MODEL} version ${VERSION} from ${model_dir}"
