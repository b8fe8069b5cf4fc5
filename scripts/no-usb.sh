#!/usr/bin/env bash
# A runbook without USB security keys (`cargo build --no-default-features`): it must build
# without libudev, link no libudev, and say at run time what a security key step needs.
# CI runs it after the tests (it rebuilds target/debug/runbook without the `usb` feature,
# then puts the default one back).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --locked --no-default-features
bin=target/debug/runbook
if ldd "$bin" | grep -q libudev; then
  echo "no-usb: $bin links libudev although the usb feature is off" >&2
  exit 1
fi
"$bin" --version | grep -q '^USB security keys: no' || { echo "no-usb: --version does not say USB keys are off" >&2; exit 1; }
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
printf '# Key\n\n## Plug it in\n\n```fido.wait-for-key id=key\ntimeout_seconds = 5\n```\n' >"$dir/key.md"
status=0
out="$(cd "$dir" && AWS_ACCESS_KEY_ID=none AWS_SECRET_ACCESS_KEY=none AWS_REGION=us-east-1 \
  RUNBOOK_STATE_DIR="$dir/state" "$OLDPWD/$bin" run key.md --yes 2>&1)" || status=$?
echo "$out" | sed 's/^/  | /'
[ "$status" = 1 ] || { echo "no-usb: expected exit 1, got $status" >&2; exit 1; }
echo "$out" | grep -q 'built without USB security key support' || { echo "no-usb: the run did not say USB support is missing" >&2; exit 1; }
echo "$out" | grep -q 'cargo install --locked --path .' || { echo "no-usb: the run did not say how to get USB support" >&2; exit 1; }
cargo build --locked -q
echo "no-usb: ok (builds and runs without libudev; a key step says how to get USB support)"
