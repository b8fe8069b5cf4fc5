#!/usr/bin/env bash
# Review the guides a change touches, in any CI (README, "Reviewing guide changes"):
#
#   scripts/ci-guides.sh BASE        e.g. BASE=origin/main, fetched
#
# For every guide under runbooks/ that the change adds or modifies (its .md, or its
# .test.toml / snapshots) compared with the merge base of BASE and HEAD, it runs
# `runbook check`, `runbook test` (with CI=true: snapshots are read-only) and, with the
# guides it removes, `runbook diff --git <merge base> --format markdown`, whose report it writes to
# $RUNBOOK_DIFF_OUT (default runbook-diff.md) for the CI to post as a comment.
# Exits 1 if a guide does not check or its tests fail (the report is written anyway),
# 2 on a usage or git error. $RUNBOOK names the runbook binary (default: runbook on PATH).
set -euo pipefail

base="${1:?usage: scripts/ci-guides.sh BASE (e.g. origin/main)}"
# Paths below are the repository's (runbooks/...): run from its top.
cd "$(git rev-parse --show-toplevel)"
runbook="${RUNBOOK:-runbook}"
out="${RUNBOOK_DIFF_OUT:-runbook-diff.md}"

if ! merge_base="$(git merge-base "$base" HEAD)"; then
    echo "error: no merge base of $base and HEAD" >&2
    echo "help: fetch the base branch with its history (e.g. git fetch origin main, or a deeper clone)" >&2
    exit 2
fi

# runbooks/NAME.md, runbooks/NAME.test.toml, runbooks/NAME.SCENARIO.transcript → NAME.
guides=()
removed=()
while IFS= read -r -d '' path; do
    name="${path#runbooks/}"
    guide="runbooks/${name%%.*}.md"
    if [[ -f "$guide" ]]; then
        [[ " ${guides[*]-} " == *" $guide "* ]] || guides+=("$guide")
    elif [[ "$path" == *.md ]]; then
        removed+=("$path")
    fi
done < <(git diff -z --name-only --no-renames "$merge_base" HEAD -- runbooks/)

if [[ ${#guides[@]} -eq 0 && ${#removed[@]} -eq 0 ]]; then
    printf '## Runbook changes\n\nNo guide changed.\n' > "$out"
    cat "$out"
    exit 0
fi

status=0
if [[ ${#guides[@]} -gt 0 ]]; then
    echo "guides changed: ${guides[*]}"
    "$runbook" check "${guides[@]}" || status=1
    CI=true "$runbook" test "${guides[@]}" || status=1
fi
# Removed guides are diffed too (every step removed); 1 means a version does not check,
# which `check` has already reported.
diff_status=0
"$runbook" diff --git "$merge_base" --format markdown "${guides[@]}" "${removed[@]}" > "$out" || diff_status=$?
if [[ $diff_status -eq 2 ]]; then
    exit 2
fi
[[ $diff_status -eq 0 ]] || status=1
cat "$out"
exit "$status"
