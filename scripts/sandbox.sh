#!/usr/bin/env bash
# The guide, end to end, in the sandbox: a local AWS emulator (moto, on 127.0.0.1) and
# stand-ins for the phone, so no AWS account and no hardware are needed. Real AWS is never
# contacted. Installs what it needs first. Extra arguments go to `runbook run`
# (e.g. --output json, --restart, --dry-run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Part 2 (the security key) joins when FIDO support lands; until then the run stops after
# Part 1's last step.
exec cargo run -q -- run runbooks/aws-mfa.md --sandbox --yes --to set-up-the-authenticator-app "$@"
