#!/usr/bin/env bash
# The whole test suite: installs what it needs, then runs every test (debug build) and
# every benchmark once (criterion's test mode), and ends with one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --all-targets "$@" 2>&1 | tee "$log" || status=$?
passed=$(grep -Eo 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed;' "$log" | awk '{s+=$1} END {print s+0}')
echo
echo "tests: $passed passed, $failed failed"
exit "$status"
