#!/usr/bin/env bash
# The guide, end to end, in the sandbox: a local AWS emulator (moto, on 127.0.0.1), a
# software security key and stand-ins for the phone and the AWS console, so no AWS account
# and no hardware are needed. Real AWS is never contacted. Installs only what this needs
# (scripts/setup.sh sandbox), builds runbook with cargo's progress shown (the emulator
# installs meanwhile), then runs the guide. Extra arguments go to `runbook run` (e.g. --output json, --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/runbook
if [ ! -x "$bin" ]; then
  # Measured on a 2-core machine (README, Quick start): the build is most of it.
  echo "sandbox: first run: Debian packages for the build if missing (pkg-config, libudev-dev, python3-venv)," >&2
  echo "sandbox: a one-time build of runbook (about 3 minutes on 2 cores; cargo shows its progress)" >&2
  echo "sandbox: while the local AWS emulator installs into .venv (about 35 s). Later runs start in a second." >&2
fi
# The Debian packages first (the build needs them), then the emulator's install (network and
# Python) runs while cargo builds (CPU).
scripts/setup.sh sandbox --packages
scripts/setup.sh sandbox &
emulator=$!
echo "sandbox: cargo build" >&2
if ! cargo build --locked; then
  wait "$emulator" || true
  exit 1
fi
wait "$emulator" || exit 2
exec "$bin" run runbooks/aws-mfa.md --sandbox --yes "$@"
