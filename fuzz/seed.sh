#!/usr/bin/env bash
# Seeds the fuzz corpora from the project's own runbooks: every runbook and Markdown
# fixture goes to fuzz/corpus/check/, and the body of each of their action blocks, as
# "<action name>\n<TOML body>", to fuzz/corpus/toml_expr/. Files are named by content hash,
# as libFuzzer names them. Run `cargo fuzz cmin <target>` afterwards (fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p fuzz/corpus/check fuzz/corpus/toml_expr
add() { # add TARGET < content
  local tmp hash
  tmp="$(mktemp)"
  cat >"$tmp"
  hash="$(sha1sum "$tmp" | cut -d' ' -f1)"
  mv "$tmp" "fuzz/corpus/$1/$hash"
}
files=(runbooks/*.md)
mapfile -t -O "${#files[@]}" files < <(find tests/fixtures -name '*.md' | sort)
for file in "${files[@]}"; do
  add check <"$file"
  # One action block per record, separated by NUL: its name, a newline, its body.
  awk '
    fence == "" && match($0, /^(```+|~~~+)[A-Za-z][A-Za-z0-9_-]*\.[A-Za-z0-9._-]+/) {
      fence = $0; sub(/[^`~].*$/, "", fence)
      name = substr($0, length(fence) + 1); sub(/[ \t].*$/, "", name)
      body = ""; next
    }
    fence != "" {
      line = $0; sub(/^ +/, "", line); sub(/[ \t]+$/, "", line)
      closing = line; gsub(substr(fence, 1, 1), "", closing)
      if (closing == "" && length(line) >= length(fence)) {
        printf "%s\n%s%c", name, body, 0; fence = ""; next
      }
      body = body $0 "\n"
    }
  ' "$file" | while IFS= read -r -d '' block; do
    printf '%s' "$block" | add toml_expr
  done
done
echo "seeded: $(ls fuzz/corpus/check | wc -l) check, $(ls fuzz/corpus/toml_expr | wc -l) toml_expr inputs"
