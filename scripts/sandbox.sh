#!/usr/bin/env bash
# The guide, end to end, in the sandbox: a local AWS emulator (moto, on 127.0.0.1), a
# software security key and stand-ins for the phone and the AWS console, so no AWS account
# and no hardware are needed. Real AWS is never
# contacted. Installs what it needs first. Extra arguments go to `runbook run`
# (e.g. --output json, --restart, --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec cargo run -q -- run runbooks/aws-mfa.md --sandbox --yes "$@"
