#!/usr/bin/env bash
# The guide, end to end, in the sandbox: a local AWS emulator (moto, on 127.0.0.1), a
# software security key and stand-ins for the phone and the AWS console, so no AWS account
# and no hardware are needed. Real AWS is never contacted. Installs only what this needs
# (scripts/setup.sh sandbox), builds runbook with cargo's progress shown, then runs the
# guide. Extra arguments go to `runbook run` (e.g. --output json, --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/runbook
if [ ! -x "$bin" ]; then
  # Measured on a 2-core machine (README, Quick start): the build is most of it.
  echo "sandbox: first run: Debian packages for the build if missing (pkg-config, libudev-dev, python3-venv)," >&2
  echo "sandbox: the local AWS emulator into .venv (about 25 s), then a one-time build of runbook" >&2
  echo "sandbox: (about 3 minutes on 2 cores; cargo shows its progress). Later runs start in seconds." >&2
fi
scripts/setup.sh sandbox
echo "sandbox: cargo build" >&2
cargo build --locked
exec "$bin" run runbooks/aws-mfa.md --sandbox --yes "$@"
