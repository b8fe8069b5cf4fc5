#!/usr/bin/env bash
# `cargo install --locked --path .` as a new user would run it: from a clean CARGO_HOME (so
# every dependency comes from the registry, pinned by Cargo.lock, with nothing from this
# machine's cache), into a fresh install root; then the installed binary checks a guide and
# prints its completions and man page. CI runs it with --debug to save the ~9 minutes of a
# release build on 2 cores (the README's command builds in release; the dependency set, the
# lock file and the install step are the same). Needs the network to the crate registry.
#   scripts/install-test.sh [--release]
set -euo pipefail
cd "$(dirname "$0")/.."
profile=(--debug)
[ "${1:-}" = --release ] && profile=()
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "install-test: cargo install --locked --path . ${profile[*]} (clean CARGO_HOME, fresh root)" >&2
start=$SECONDS
# rustup's cargo finds its toolchain through RUSTUP_HOME, not CARGO_HOME.
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
CARGO_HOME="$work/cargo-home" CARGO_TARGET_DIR="$work/target" \
  cargo install --locked --quiet --path . "${profile[@]}" --root "$work/root"
echo "install-test: installed in $((SECONDS - start)) s" >&2
bin="$work/root/bin/runbook"
"$bin" --version
"$bin" check runbooks/aws-mfa.md
"$bin" completions bash | grep -q '_runbook()' || { echo "install-test: no bash completion function" >&2; exit 1; }
"$bin" man | grep -q '^\.TH runbook 1' || { echo "install-test: no man page" >&2; exit 1; }
echo "install-test: ok"
