#!/usr/bin/env bash
# Installs what building and testing runbook needs beyond the Rust toolchain.
# As root it installs missing Debian packages itself; otherwise it says what to install.
set -euo pipefail

# Debian packages the build and the tests use. Grows with the features that need them.
packages=(pkg-config oathtool)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi

for tool in cargo rustfmt cargo-clippy; do
  command -v "$tool" >/dev/null || { echo "setup: \`$tool\` is missing; install the Rust toolchain (rustup) with clippy and rustfmt" >&2; exit 2; }
done
