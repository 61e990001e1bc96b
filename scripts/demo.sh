#!/usr/bin/env bash
# The main job: installs what is missing, builds in build/, and runs the
# dlnsgd demo (GD vs SGD vs two-phase SGD on a noisy low-rank completion
# problem at depth 4, about a minute on 2 cores). Extra arguments go to
# dlnsgd, e.g. `scripts/demo.sh --plot demo.png`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-packages.sh scripts/packages.txt scripts/packages.d/*.txt
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DDLN_BUILD_CLI=ON >/dev/null
cmake --build build -j"$(nproc)" --target dlnsgd_cli
exec build/cli/dlnsgd "$@"
