#!/usr/bin/env bash
# The guide's IAM/STS calls, timed end to end: the AWS CLI (one process per call, as users
# do it today) against `runbook run benches/mfa-calls.md` (one process), both against the
# same local moto server, with hyperfine. Prints both medians and the ratio; the target is
# runbook at least 30x faster.
#
#   benches/vs-awscli.sh                  # full: 3 warm-ups, 15 runs each, judged against 30x
#   benches/vs-awscli.sh --quick          # CI: 2 runs each, no warm-up, no judgement
#   benches/vs-awscli.sh --runs 30 --warmup 5
#
# Every run starts from a clean emulator: hyperfine's --prepare (not timed) resets moto
# (POST /moto-api/reset) and creates a fresh IAM user and access key; the timed part makes
# every call as that user. Results: target/bench/vs-awscli.json (hyperfine's JSON).
#
# Needs: hyperfine (Debian package; scripts/setup.sh installs it), curl, the emulator in
# .venv (scripts/setup.sh), target/release/runbook (built here if missing; RUNBOOK_BIN
# overrides it, e.g. a debug build in CI's quick mode). The AWS CLI is installed from PyPI
# into target/bench-venv on first use.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

runs=15
warmup=3
quick=false
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true runs=2 warmup=0 ;;
    --runs) runs="$2"; shift ;;
    --warmup) warmup="$2"; shift ;;
    -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "vs-awscli: unknown argument \`$1\` (try --help)" >&2; exit 2 ;;
  esac
  shift
done

awscli_version="${AWSCLI_VERSION:-$(tr -d '[:space:]' <"$root/scripts/awscli-version.txt")}"
bench_venv="$root/target/bench-venv"
moto_server="${RUNBOOK_VENV:-$root/.venv}/bin/moto_server"
runbook="${RUNBOOK_BIN:-$root/target/release/runbook}"
runbook_file="$root/benches/mfa-calls.md"
out="$root/target/bench"

command -v hyperfine >/dev/null || { echo "vs-awscli: hyperfine is missing; run scripts/setup.sh (or apt-get install hyperfine)" >&2; exit 2; }
command -v curl >/dev/null || { echo "vs-awscli: curl is missing" >&2; exit 2; }
[ -x "$moto_server" ] || { echo "vs-awscli: $moto_server is missing; run scripts/setup.sh" >&2; exit 2; }
if [ ! -x "$runbook" ]; then
  if [ -n "${RUNBOOK_BIN:-}" ]; then
    echo "vs-awscli: RUNBOOK_BIN=$runbook is not an executable" >&2
    exit 2
  fi
  echo "vs-awscli: building target/release/runbook" >&2
  cargo build --release --locked --quiet
fi

# The AWS CLI, in its own venv so it never touches the emulator's.
if [ ! -x "$bench_venv/bin/aws" ] || [ "$(cat "$bench_venv/.awscli-version" 2>/dev/null)" != "$awscli_version" ]; then
  echo "vs-awscli: installing awscli $awscli_version from PyPI into ${bench_venv#"$root"/}" >&2
  mkdir -p "$root/target"
  { python3 -m venv "$bench_venv" &&
    "$bench_venv/bin/python" -m pip install --disable-pip-version-check --no-input -q "awscli==$awscli_version"; } \
    >"$root/target/bench-venv.log" 2>&1 ||
    { tail -n 8 "$root/target/bench-venv.log" >&2; echo "vs-awscli: installing awscli failed; see target/bench-venv.log" >&2; exit 2; }
  echo "$awscli_version" >"$bench_venv/.awscli-version"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/runbook-bench.XXXXXX")"
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ONE emulator for both sides, on a free port of 127.0.0.1.
port="$("${moto_server%/*}/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
endpoint="http://127.0.0.1:$port"
"$moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 100); do
  curl -fs -o /dev/null "$endpoint/moto-api/" && break
  kill -0 "$moto_pid" 2>/dev/null || { cat "$work/moto.log" >&2; echo "vs-awscli: moto_server exited" >&2; exit 1; }
  sleep 0.1
done
curl -fs -o /dev/null "$endpoint/moto-api/" || { echo "vs-awscli: moto_server did not answer on $endpoint" >&2; exit 1; }

# Nothing from the caller's AWS setup leaks in; both sides see the same environment.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_IAM AWS_ENDPOINT_URL_STS \
  AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_CA_BUNDLE RUNBOOK_ANSWERS RUNBOOK_FAULT
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null \
  AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" NO_COLOR=1 \
  RUNBOOK_FAKE_CLOCK=1700000000

# Not timed: a clean emulator, a fresh user and its access key (in creds.env). moto does not
# check signatures, so plain curl with any SigV4-shaped header is enough.
cat >"$work/prepare.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
auth='AWS4-HMAC-SHA256 Credential=TESTACCESSKEYID00000/20240101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0'
iam() { curl -fsS -X POST -H "Authorization: \$auth" --data "Version=2010-05-08&\$1" "$endpoint/"; }
curl -fsS -X POST -o /dev/null "$endpoint/moto-api/reset"
rm -f "$work/runbook-seed.uri"
user="bench-\$(date +%s%N)"
iam "Action=CreateUser&UserName=\$user" >/dev/null
key="\$(iam "Action=CreateAccessKey&UserName=\$user")"
id="\$(sed -n 's:.*<AccessKeyId>\([^<]*\)</AccessKeyId>.*:\1:p' <<<"\$key")"
secret="\$(sed -n 's:.*<SecretAccessKey>\([^<]*\)</SecretAccessKey>.*:\1:p' <<<"\$key")"
[ -n "\$id" ] && [ -n "\$secret" ]
printf 'export BENCH_USER=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n' "\$user" "\$id" "\$secret" >"$work/creds.env"
rm -rf "$work/state" "$work/cli"
mkdir -p "$work/state" "$work/cli"
EOF

# (a) What a user does today: one AWS CLI process per call, as the fresh user. The codes
# are fixed digits (moto does not check them), which only flatters the CLI side.
cat >"$work/awscli-calls.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
. "$work/creds.env"
aws() { "$bench_venv/bin/aws" --endpoint-url "$endpoint" --output text "\$@"; }
serial="\$(aws iam create-virtual-mfa-device --virtual-mfa-device-name "\$BENCH_USER-bench" \
  --outfile "$work/cli/seed.txt" --bootstrap-method Base32StringSeed --query VirtualMFADevice.SerialNumber)"
aws iam enable-mfa-device --user-name "\$BENCH_USER" --serial-number "\$serial" \
  --authentication-code1 123456 --authentication-code2 654321 >/dev/null
aws iam list-mfa-devices --user-name "\$BENCH_USER" >/dev/null
aws iam list-virtual-mfa-devices >/dev/null
aws sts get-session-token --serial-number "\$serial" --token-code 112233 >/dev/null
aws iam deactivate-mfa-device --user-name "\$BENCH_USER" --serial-number "\$serial" >/dev/null
aws iam delete-virtual-mfa-device --serial-number "\$serial" >/dev/null
EOF

# (b) The same calls (plus sts get-caller-identity, which the CLI script skips) as one
# unattended runbook run; like the CLI's --outfile, it hands the seed to a file (an
# unattended run against an endpoint creates a device only when someone takes the seed).
cat >"$work/runbook-calls.sh" <<EOF
#!/usr/bin/env bash
set -euo pipefail
. "$work/creds.env"
exec "$runbook" run "$runbook_file" --yes --endpoint-url "$endpoint" --state-dir "$work/state" --restart --seed-file "$work/runbook-seed.uri" >/dev/null 2>"$work/runbook.err"
EOF
chmod +x "$work"/*.sh

"$runbook" check "$runbook_file" >/dev/null

# One untimed pass of each, so a broken side fails loudly here rather than inside hyperfine.
for side in awscli runbook; do
  "$work/prepare.sh"
  if ! "$work/$side-calls.sh" >"$work/$side.out" 2>&1; then
    cat "$work/$side.out" "$work/runbook.err" 2>/dev/null >&2 || true
    echo "vs-awscli: the $side side failed against $endpoint" >&2
    exit 1
  fi
done

mkdir -p "$out"
echo "vs-awscli: moto on $endpoint; $runs runs, $warmup warm-up(s) each; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
hyperfine --style basic --warmup "$warmup" --runs "$runs" --prepare "$work/prepare.sh" \
  --export-json "$out/vs-awscli.json" \
  -n "aws-cli ($(${bench_venv}/bin/aws --version 2>&1 | cut -d' ' -f1))" "$work/awscli-calls.sh" \
  -n "runbook ($(basename "$runbook_file"))" "$work/runbook-calls.sh"

python3 - "$out/vs-awscli.json" "$quick" <<'EOF'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
cli, rb = results[0]["median"], results[1]["median"]
ratio = cli / rb
print(f"median AWS CLI: {cli * 1000:.0f} ms   median runbook: {rb * 1000:.1f} ms   ratio: {ratio:.1f}x")
if sys.argv[2] == "true":
    print("(quick mode: timings not judged)")
elif ratio >= 30:
    print("target met: runbook is at least 30x faster")
else:
    print("BELOW TARGET: runbook is less than 30x faster")
    sys.exit(3)
EOF
