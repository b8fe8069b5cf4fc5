#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs every test (debug build).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo test --locked --all-targets "$@"
