#!/usr/bin/env bash
# Called by the deploy workflow with the fetched, digest-verified model folder as $1, and MODEL and
# VERSION in the environment. Replace the body with your deployment (push to a serving platform,
# build an image, ...). It must deploy exactly the files in $1: the version is already pinned.
set -euo pipefail
model_dir="$1"
echo "Deploying ${MODEL} version ${VERSION} from ${model_dir}:"
ls -la "${model_dir}"
