#!/usr/bin/env bash
# Fuzzes runbook with cargo-fuzz (libFuzzer): builds every target in fuzz/ and runs each for
# SECONDS (default 60) from the committed corpus, fuzz/corpus/<target>/. Inputs found on
# the way go to a scratch directory, so the committed corpus (and git) stay as they are.
# Exits 1 if a target crashes, panics, times out or runs out of memory, printing the
# failing input (fuzz/artifacts/<target>/…) and the command that reproduces it.
#
#   scripts/fuzz.sh [SECONDS]
#
# Works with the stable toolchain: cargo-fuzz passes nightly -Z flags to rustc, which
# RUSTC_BOOTSTRAP=1 allows. Extra `cargo fuzz build` options can be given in
# FUZZ_BUILD_ARGS (e.g. "--sanitizer none", "--dev"); the default is cargo-fuzz's
# release build with AddressSanitizer and debug assertions. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
cargo_fuzz_version=0.13.2
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version 2>/dev/null | grep -qF "$cargo_fuzz_version"; then
  echo "== cargo install --locked cargo-fuzz@$cargo_fuzz_version"
  cargo install --locked cargo-fuzz --version "$cargo_fuzz_version"
fi

read -r -a build_args <<<"${FUZZ_BUILD_ARGS:-}"
options="${build_args[*]:+${build_args[*]} }" # as typed on a command line
mapfile -t targets < <(cargo fuzz list)
echo "== cargo fuzz build ${options}(${targets[*]})"
start=$SECONDS
cargo fuzz build "${build_args[@]}"
echo "built in $((SECONDS - start)) s"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
for target in "${targets[@]}"; do
  echo "== fuzz $target for $seconds s"
  mkdir -p "$scratch/$target" "fuzz/artifacts/$target"
  touch "$scratch/$target.start"
  # The first corpus directory receives new inputs; the committed one is only read.
  if ! cargo fuzz run "${build_args[@]}" "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -dict=fuzz/runbook.dict \
    -print_final_stats=1; then
    failed+=("$target")
    found="$(find "fuzz/artifacts/$target" -type f -newer "$scratch/$target.start")"
    echo
    echo "fuzz: $target failed; the input that did it:"
    for artifact in $found; do
      echo "  $artifact"
      echo "reproduce: RUSTC_BOOTSTRAP=1 cargo fuzz run ${options}$target $artifact"
      echo "minimise:  RUSTC_BOOTSTRAP=1 cargo fuzz tmin ${options}$target $artifact"
    done
    [ -n "$found" ] || echo "  (no artifact written; see the output above)"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${targets[*]}: no crash in $seconds s each"
