#!/usr/bin/env bash
# Whole-process time and peak memory of `runbook` on the hostile inputs of
# benches/hostile.rs (issue 11, items 5 and 6), for one or two binaries side by side:
#
#   benches/hostile.sh [BEFORE_BINARY] [AFTER_BINARY]
#
# Defaults: target/before/runbook (a release build of the code before the fix, if there)
# and target/release/runbook. The inputs are written to target/bench/hostile/ by the bench
# (`HOSTILE_INPUTS=… cargo bench --bench hostile`). Each command runs once under
# `/usr/bin/time -f '%e %M'`, in a memory limit of 8 GB and a time limit of TIMEOUT seconds
# (default 60); a size after one that timed out or crashed is not run (shown as `skip`).
# Output: one Markdown table row per shape, size and command, also kept in
# target/bench/hostile/results.md. Exit codes: 0 ok, 1 invalid runbook (expected for the
# shapes with diagnostics), 134/139 a crash (abort, stack overflow), 124 timeout.
set -uo pipefail
cd "$(dirname "$0")/.."

before="${1:-target/before/runbook}"
after="${2:-target/release/runbook}"
timeout="${TIMEOUT:-60}"
dir=target/bench/hostile
export HOSTILE_INPUTS="$PWD/$dir"

if [ ! -f "$dir/nested-list-8x.md" ]; then
  echo "== writing the inputs to $dir" >&2
  cargo bench --bench hostile >&2 || exit 2
fi

binaries=()
for binary in "$before" "$after"; do
  [ -x "$binary" ] && binaries+=("$binary")
done
[ "${#binaries[@]}" -gt 0 ] || { echo "no binary: build one with cargo build --release" >&2; exit 2; }

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# measure BINARY LABEL ARGS…: prints "seconds peak-KB exit stdout-bytes"
measure() {
  local binary="$1"
  shift
  (
    ulimit -v 8000000
    /usr/bin/time -o "$scratch/time" -f '%e %M' timeout "$timeout" "$binary" "$@" \
      >"$scratch/out" 2>"$scratch/err"
    echo $? >"$scratch/rc"
  )
  local rc
  rc="$(cat "$scratch/rc")"
  # `time` prints "Command terminated by signal N" or "Command exited with non-zero status N"
  # before the figures.
  read -r seconds kb < <(tail -n 1 "$scratch/time")
  echo "$seconds $kb $rc $(stat -c %s "$scratch/out")"
}

out="$dir/results.md"
{
  printf '| shape | size | bytes | command |'
  for binary in "${binaries[@]}"; do printf ' %s: s / peak MB / exit |' "$binary"; done
  printf '\n|---|---|---|---|'
  for _ in "${binaries[@]}"; do printf -- '---|'; done
  printf '\n'
} | tee "$out"

declare -A stopped
row() { # row SHAPE SIZE FILE COMMAND ARGS…
  local shape="$1" size="$2" file="$3" command="$4"
  shift 4
  local line
  line="| $shape | $size | $(stat -c %s "$file") | $command |"
  for binary in "${binaries[@]}"; do
    local key="$binary/$shape/$command"
    if [ -n "${stopped[$key]:-}" ]; then
      line+=" skip |"
      continue
    fi
    rm -rf "$scratch/site" "$scratch/state"
    read -r seconds kb rc bytes < <(measure "$binary" "$@")
    local cell
    cell="$seconds / $((kb / 1024)) / $rc"
    case "$rc" in
      124) cell="> $timeout s (timeout) / $((kb / 1024)) / $rc"; stopped[$key]=1 ;;
      134 | 139 | 137) cell+=" (crash)"; stopped[$key]=1 ;;
    esac
    [ "$command" = run ] && cell+=" / $((bytes / 1024)) KB out"
    line+=" $cell |"
  done
  echo "$line" | tee -a "$out"
}

shapes=(deep-not-when deep-minus-when deep-not-template long-chain-template duplicate-headings
  undefined-references nested-list nested-quote many-headings many-actions huge-toml-string
  large-plain)
for shape in "${shapes[@]}"; do
  for k in 1 2 4 8; do
    file="$dir/$shape-${k}x.md"
    row "$shape" "${k}x" "$file" check check "$file"
    case "$shape" in
      nested-list | nested-quote | many-headings | many-actions | huge-toml-string | large-plain)
        row "$shape" "${k}x" "$file" render render "$file" --out "$scratch/site"
        row "$shape" "${k}x" "$file" render-md render "$file" --out "$scratch/site" --format markdown
        ;;
    esac
    case "$shape" in
      nested-list | nested-quote)
        row "$shape" "${k}x" "$file" run run "$file" --yes --state-dir "$scratch/state"
        ;;
    esac
  done
done
row oversize 64MB "$dir/oversize-64MB.md" check check "$dir/oversize-64MB.md"
for bomb in for-loops:4,5,6,7 set-doubling:24,26,28,30 repeat-expression:1000000,10000000,50000000,100000000; do
  name="${bomb%%:*}"
  IFS=, read -r -a sizes <<<"${bomb#*:}"
  for k in "${sizes[@]}"; do
    file="$dir/$name-$k.md"
    row "$name" "$k" "$file" check check "$file"
    row "$name" "$k" "$file" run run "$file" --yes --state-dir "$scratch/state"
  done
done
