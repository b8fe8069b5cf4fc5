#!/usr/bin/env bash
# Installs what building and testing runbook needs beyond the Rust toolchain.
#   scripts/setup.sh sandbox   what the build and `runbook run --sandbox` need, nothing more
#   scripts/setup.sh           (or `test`) all that and what the tests and benches use
#   --packages                 only the Debian packages of that mode (scripts/sandbox.sh
#                              installs the emulator while cargo builds)
# As root it installs missing Debian packages itself; otherwise it says what to install.
# It also puts the local AWS emulator (moto[server], the version in scripts/moto-version.txt)
# into the project's virtualenv, .venv or $RUNBOOK_VENV, as `runbook run --sandbox` would.
# Quiet when everything is present.
set -euo pipefail

mode=test
packages_only=false
for arg in "$@"; do
  case "$arg" in
    sandbox | test) mode="$arg" ;;
    --packages) packages_only=true ;;
    *) echo "usage: scripts/setup.sh [sandbox|test] [--packages]" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${RUNBOOK_VENV:-$root/.venv}"
moto_version="$(tr -d '[:space:]' <"$root/scripts/moto-version.txt")"

# Debian packages. The build: pkg-config and libudev-dev (USB security keys, the `usb`
# feature). The tests add oathtool (TOTP cross-check), tmux (terminal tests), chromium (the
# real-browser test of `runbook render`, and scripts/figures.sh) and hyperfine
# (benches/vs-awscli.sh), dpkg-dev (scripts/deb.sh: cargo-deb's dependency scan) and neovim
# (the real-editor test of `runbook lsp`, tests/integration/neovim.rs).
packages=(pkg-config libudev-dev)
if [ "$mode" = test ]; then
  packages+=(oathtool tmux chromium hyperfine dpkg-dev neovim)
fi

# The same test as src/providers/sandbox.rs: moto_server is there, and the marker names this version.
emulator_installed() {
  [ -x "$venv/bin/moto_server" ] &&
    [ "$(cat "$venv/.runbook-moto-version" 2>/dev/null)" = "$moto_version" ]
}

# Python with venv and ensurepip, needed only while the emulator is not installed. Check the
# capability, not the package: a python3 from pyenv or elsewhere has both built in, and
# Debian's has `venv` (so `python3 -m venv --help` works) but no `ensurepip` until
# python3-venv is installed.
if ! emulator_installed; then
  if ! command -v python3 >/dev/null; then
    packages+=(python3 python3-venv)
  elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    python="$(python3 -c 'import sys; print(sys.executable)')"
    if dpkg -S "$python" >/dev/null 2>&1; then
      packages+=(python3-venv)
    else
      echo "setup: $python lacks the venv and ensurepip modules the local AWS emulator needs; install a complete Python 3, or put Debian's python3 first on PATH" >&2
      exit 2
    fi
  fi
fi

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi

tools=(cargo)
[ "$mode" = test ] && tools+=(rustfmt cargo-clippy)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "setup: \`$tool\` is missing; install the Rust toolchain (rustup) with clippy and rustfmt" >&2; exit 2; }
done

$packages_only && exit 0

# The local AWS emulator. The lock is the one src/providers/sandbox.rs takes, so the two never
# install at the same time.
if ! emulator_installed; then
  mkdir -p "$venv"
  exec 9>"$venv/.runbook-install.lock"
  flock 9
  if ! emulator_installed; then
    echo "setup: installing the local AWS emulator (moto $moto_version) into ${venv#"$root"/}" >&2
    log="$venv/runbook-install.log"
    if ! { python3 -m venv "$venv" &&
      "$venv/bin/python" -m pip install --disable-pip-version-check --no-input "moto[server]==$moto_version"; } >"$log" 2>&1 ||
      [ ! -x "$venv/bin/moto_server" ]; then
      tail -n 8 "$log" | sed 's/^/  | /' >&2
      echo "setup: installing the local AWS emulator failed; full output in $log. Check that PyPI is reachable (pip honours PIP_INDEX_URL and proxy settings), then run again" >&2
      exit 2
    fi
    echo "$moto_version" >"$venv/.runbook-moto-version"
  fi
  exec 9>&-
fi

[ "$mode" = sandbox ] && exit 0

# The real AWS CLI (PyPI awscli, the version in scripts/awscli-version.txt), for the test
# that reads the profile `aws-config.set-profile` writes (tests/integration/aws_cli.rs) and
# for benches/vs-awscli.sh. In its own venv, target/bench-venv: its botocore pins clash
# with the emulator's.
awscli_version="${AWSCLI_VERSION:-$(tr -d '[:space:]' <"$root/scripts/awscli-version.txt")}"
bench_venv="$root/target/bench-venv"
if [ ! -x "$bench_venv/bin/aws" ] || [ "$(cat "$bench_venv/.awscli-version" 2>/dev/null)" != "$awscli_version" ]; then
  echo "setup: installing the AWS CLI (awscli $awscli_version) from PyPI into target/bench-venv" >&2
  mkdir -p "$root/target"
  if ! { python3 -m venv "$bench_venv" &&
    "$bench_venv/bin/python" -m pip install --disable-pip-version-check --no-input -q "awscli==$awscli_version"; } \
    >"$root/target/bench-venv.log" 2>&1; then
    tail -n 8 "$root/target/bench-venv.log" | sed 's/^/  | /' >&2
    echo "setup: installing the AWS CLI failed; full output in target/bench-venv.log. Check that PyPI is reachable, then run again" >&2
    exit 2
  fi
  echo "$awscli_version" >"$bench_venv/.awscli-version"
fi

# mdBook (crates.io's `mdbook`, without its serve/watch/search features), for the test that
# builds a book with `runbook mdbook` as its preprocessor (tests/integration/mdbook.rs).
mdbook_version=0.5.4
mdbook="$root/target/tools/bin/mdbook"
if [ ! -x "$mdbook" ] || [ "$("$mdbook" --version 2>/dev/null | awk '{print $2}')" != "v$mdbook_version" ]; then
  echo "setup: building mdBook $mdbook_version into target/tools (about 2 minutes, once)" >&2
  if ! cargo install --locked --quiet --no-default-features mdbook --version "$mdbook_version" --root "$root/target/tools" \
    >"$root/target/mdbook-install.log" 2>&1; then
    tail -n 8 "$root/target/mdbook-install.log" | sed 's/^/  | /' >&2
    echo "setup: installing mdBook failed; full output in target/mdbook-install.log. Check that the crate registry is reachable, then run again" >&2
    exit 2
  fi
fi
