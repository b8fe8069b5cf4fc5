#!/usr/bin/env bash
# The Debian package: the binary, man pages (one per command), bash/zsh/fish completions, the
# README, the action catalogue and the guides (/usr/share/doc/runbook/runbooks), built with
# cargo-deb (installed into target/tools on first use, the version below).
#   scripts/deb.sh             build target/debian/runbook_VERSION_ARCH.deb (release build)
#   scripts/deb.sh --test      package the existing debug build instead, install it with
#                              dpkg -i (as root), check it, and remove it again (CI)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_deb_version=3.8.0
test=false
[ "${1:-}" = --test ] && test=true
profile=release
$test && profile=dev
dir=target/release
$test && dir=target/debug

tool=target/tools/bin/cargo-deb
if [ ! -x "$tool" ] || [ "$("$tool" --version 2>/dev/null | awk '{print $2}')" != "$cargo_deb_version" ]; then
  echo "deb: installing cargo-deb $cargo_deb_version into target/tools (about 1.5 minutes, once)" >&2
  cargo install --locked --quiet cargo-deb --version "$cargo_deb_version" --root target/tools
fi

echo "deb: cargo build --profile $profile" >&2
cargo build --locked --profile "$profile"
bin="$dir/runbook"
assets=target/deb-assets
rm -rf "$assets"
mkdir -p "$assets/man" "$assets/completions"
"$bin" man --dir "$assets/man"
gzip -n -9 "$assets"/man/*.1
"$bin" completions bash >"$assets/completions/runbook"
"$bin" completions zsh >"$assets/completions/_runbook"
"$bin" completions fish >"$assets/completions/runbook.fish"

deb="$("$tool" --no-build --profile "$profile" --quiet --output target/debian)"
deb="${deb##*$'\n'}"
echo "deb: $deb" >&2
dpkg-deb --info "$deb" | sed -n 's/^ *\(Package\|Version\|Depends\|Installed-Size\):/  &/p' >&2
$test || exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deb: --test installs the package with dpkg -i and needs root" >&2
  exit 2
fi
if dpkg-query -W -f='${Status}' runbook 2>/dev/null | grep -q "install ok installed"; then
  echo "deb: a runbook package is already installed here; --test would replace it, so it stops" >&2
  exit 2
fi
trap 'dpkg -r runbook >/dev/null 2>&1 || true' EXIT
dpkg -i "$deb" >/dev/null
fail() { echo "deb: $*" >&2; exit 1; }
[ "$(command -v runbook)" = /usr/bin/runbook ] || fail "runbook is not /usr/bin/runbook after dpkg -i"
/usr/bin/runbook --version
# The installed guides check, figures included (a missing image is a warning).
checked="$(cd / && /usr/bin/runbook check /usr/share/doc/runbook/runbooks/*.md 2>&1)" || { echo "$checked" >&2; fail "runbook check failed on the installed guides"; }
echo "$checked" | sed 's/^/  | /'
! echo "$checked" | grep -q "warning" || fail "runbook check warned about the installed guides"
for page in runbook runbook-run runbook-check; do
  [ -f "/usr/share/man/man1/$page.1.gz" ] || fail "man page $page.1.gz missing"
  zcat "/usr/share/man/man1/$page.1.gz" | grep -q "^\.TH $page 1" || fail "$page.1.gz is not a man page for $page"
done
bash -c 'source /usr/share/bash-completion/completions/runbook && declare -F _runbook >/dev/null' ||
  fail "the bash completion does not define _runbook"
[ -s /usr/share/zsh/vendor-completions/_runbook ] || fail "zsh completion missing"
[ -s /usr/share/fish/vendor_completions.d/runbook.fish ] || fail "fish completion missing"
dpkg -r runbook >/dev/null
[ ! -e /usr/bin/runbook ] || fail "dpkg -r left /usr/bin/runbook behind"
trap - EXIT
echo "deb: ok (installed with dpkg -i, checked its guides, man pages and completions, removed)"
