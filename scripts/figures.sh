#!/usr/bin/env bash
# Regenerates the figures runbooks/aws-mfa.md shows (runbooks/images/step1.png, step3.png,
# step7.png, step9.png): screenshots of this engine's own sandbox run of Part 1 of the
# guide. They are never pictures of the AWS console, and the QR code in them comes from the
# sandbox's local emulator, never from a real account.
#
#   scripts/figures.sh          # writes the four PNGs into runbooks/images/ (about 10 s once built)
#   scripts/figures.sh --keep   # also keeps the raw captures and HTML pages (prints where)
#
# How: tmux runs `runbook run runbooks/aws-mfa.md --sandbox --to set-up-the-authenticator-app`
# (interactive, not --yes, so the real prompts show) in an 80×40 terminal and answers as a
# person would: Enter for the default device name, y (then Enter) to create the device, n
# (then Enter) to the offer of the manual-entry key, Enter once "scanned", y (then Enter)
# to enable it. `tmux capture-pane -e`
# takes the screen with its colours at three moments. Each figure is a capture cropped to
# the lines of its step and turned into a small HTML page that looks like the terminal (by
# the Python converter below: colours, bold/dim/italic, the cursor, the QR code's half
# blocks as exact boxes; lines longer than the terminal are wrapped at spaces rather than
# mid-word), screenshotted by headless chromium at the size of the drawn window and
# shrunk by pngquant:
#
#   step1.png  step 1: the MFA devices the user has (the API's view of My Security Credentials)
#   step3.png  step 2: the device-name prompt, then the create confirmation with its AWS CLI command
#   step7.png  step 3: the enrolment QR code on the terminal's alternate screen, and its prompts
#   step9.png  step 3: the stand-in's codes, the enable confirmation with its AWS CLI command, the result
#
# Deterministic: fixed terminal size, answers, fonts (DejaVu) and colours, and the emulator's
# random generator is seeded (moto's /moto-api/seed) before the device is created, so the
# sandbox seed, and with it the QR code, is the same on every run; the emulator's port and
# timestamps are outside the cropped lines. Regenerate after changing what the run prints
# for these steps or the figure captions in the guide (step 1 shows its own caption line).
#
# Needs tmux, chromium and python3 (scripts/setup.sh, run first, installs them),
# pngquant and the DejaVu fonts (installed here as root). Real AWS is never contacted: the
# emulator listens on 127.0.0.1, the run's environment is emptied (env -i), and chromium
# loads only the local pages, with its background networking off.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

keep=false
case "${1:-}" in
  --keep) keep=true ;;
  "") ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "figures: unknown argument \`$1\` (see --help)" >&2; exit 2 ;;
esac

# The terminal the run is drawn in, and the seed for the emulator's random generator.
columns=80
rows=40
moto_seed=2024
# The command in each figure's title bar: exactly what runs.
command_line="runbook run runbooks/aws-mfa.md --sandbox --to set-up-the-authenticator-app"
# How long one thing may take to show up on the screen (the first start of the emulator
# is the slowest).
wait_seconds=60

started=$SECONDS
scripts/setup.sh
# Beyond what setup.sh installs: pngquant (to make the PNGs small), the DejaVu fonts.
missing=()
command -v pngquant >/dev/null || missing+=(pngquant)
fc-list 2>/dev/null | grep -q "DejaVu Sans Mono" || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "figures: installing ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "figures: please install: sudo apt-get install ${missing[*]}" >&2
    exit 2
  fi
fi
for tool in tmux chromium python3 pngquant; do
  command -v "$tool" >/dev/null || { echo "figures: \`$tool\` is missing (scripts/setup.sh installs it as root)" >&2; exit 2; }
done
cargo build -q --bin runbook
bin="${CARGO_TARGET_DIR:-$root/target}/debug/runbook"

work="$(mktemp -d)"
socket="$work/tmux.sock"
tmux_() { tmux -u -f /dev/null -S "$socket" "$@"; }
cleanup() {
  tmux_ kill-server >/dev/null 2>&1 || true
  if $keep; then echo "figures: captures and pages kept in $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The run, in a clean environment: nothing of the developer's AWS setup or the test hooks
# leaks in. The pane stays open after the run for the last capture.
quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
{
  printf 'cd %s\n' "$(quote "$root")"
  printf 'env -i TERM="$TERM" PATH=%s HOME=%s LANG=C.UTF-8' "$(quote "$PATH")" "$(quote "$work")"
  [ -n "${RUNBOOK_VENV:-}" ] && printf ' RUNBOOK_VENV=%s' "$(quote "$RUNBOOK_VENV")"
  printf ' %s run runbooks/aws-mfa.md --sandbox --to set-up-the-authenticator-app --state-dir %s\n' \
    "$(quote "$bin")" "$(quote "$work/state")"
  printf 'echo EXIT:$?\nsleep 120\n'
} >"$work/run.sh"
tmux_ new-session -d -s figures -x "$columns" -y "$rows" "sh $(quote "$work/run.sh")"

# The screen as text (wrapped lines joined); `-S -` adds the scrollback.
screen() { tmux_ capture-pane -p -J -t figures "$@"; }

# Wait until the last non-blank line starts with PROMPT (and, if given, the screen shows
# AFTER), as a person waits for a question before answering it.
wait_for_prompt() {
  local prompt="$1" after="${2:-}" deadline=$((SECONDS + wait_seconds)) text last
  while :; do
    text="$(screen -S -)"
    last="$(printf '%s\n' "$text" | awk 'NF { line = $0 } END { print line }')"
    if [[ "$last" == "$prompt"* ]] && { [ -z "$after" ] || [[ "$text" == *"$after"* ]]; }; then
      sleep 0.2 # the prompt is drawn a moment before the terminal switches to raw mode
      return
    fi
    if [[ "$text" == *EXIT:* ]] || ((SECONDS > deadline)); then
      printf 'figures: the run did not reach the prompt `%s`; the terminal shows:\n%s\n' "$prompt" "$text" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# Save the screen with its colours (ANSI escapes) and the cursor's column.
capture() {
  tmux_ capture-pane -p -e -J -t figures "${@:2}" >"$work/$1.ans"
  tmux_ display-message -p -t figures '#{cursor_x}' >"$work/$1.cursor"
}

wait_for_prompt "Name for the virtual MFA device [runbook-sandbox-DuoMobile]:"
# Seed the emulator's random generator: the device's seed (the QR code) is then the same
# on every run. The emulator is the sandbox's own, on 127.0.0.1.
endpoint="$(screen -S - | grep -o 'local AWS emulator at http://127\.0\.0\.1:[0-9]*' | grep -o 'http://.*')"
python3 -c 'import sys, urllib.request as r; r.build_opener(r.ProxyHandler({})).open(r.Request(sys.argv[1], method="POST"), timeout=10)' \
  "$endpoint/moto-api/seed?a=$moto_seed"
tmux_ send-keys -t figures Enter

wait_for_prompt "Go ahead? [y/N]" "create the virtual MFA device"
capture create -S -
tmux_ send-keys -t figures y Enter

wait_for_prompt "Can't scan it? Show the key for manual entry? [y/N]"
tmux_ send-keys -t figures n Enter
wait_for_prompt "Once the app shows the new account (press Enter):"
capture enrol # the alternate screen: no scrollback
tmux_ send-keys -t figures Enter

wait_for_prompt "Go ahead? [y/N]" "→ enable "
tmux_ send-keys -t figures y Enter
deadline=$((SECONDS + wait_seconds))
until text="$(screen -S -)" && [[ "$text" == *$'\nEXIT:'* ]]; do
  ((SECONDS < deadline)) || { printf 'figures: the run did not end; the terminal shows:\n%s\n' "$text" >&2; exit 1; }
  sleep 0.1
done
[[ "$text" == *$'\nEXIT:0'* ]] || { printf 'figures: the run failed; the terminal shows:\n%s\n' "$text" >&2; exit 1; }
capture done -S -
tmux_ kill-server

cat >"$work/term2html.py" <<'PYTHON'
# A terminal capture (text with ANSI SGR escapes, as `tmux capture-pane -e -J` writes it)
# to an HTML page that looks like the terminal: the lines from --start to --end, the
# colours, bold/dim/italic/underline/reverse, the cursor, and block characters (the QR
# code) drawn as exact half-cell boxes so the code has no gaps between lines.
import argparse, html, re, sys

parser = argparse.ArgumentParser()
parser.add_argument("--start", required=True, help="regex: the first line of the figure")
parser.add_argument("--end", help="regex: its last line (default: the last non-blank line)")
parser.add_argument("--cursor", type=int, help="draw the cursor in this column of the last line")
parser.add_argument("--columns", type=int, default=100)
parser.add_argument("--title", required=True)
args = parser.parse_args()

FG, BG = "#d8dce3", "#15171c"
# The 16 colours: a calm dark theme (One Dark-like).
PALETTE = ["#3b4048", "#e06c75", "#98c379", "#e5c07b", "#61afef", "#c678dd", "#56b6c2", "#d8dce3",
           "#6b7280", "#ff7f8a", "#b5e08d", "#ffd68a", "#7cc4ff", "#dd9cf0", "#6fd6e2", "#ffffff"]


def color256(n):
    if n < 16:
        return PALETTE[n]
    if n < 232:
        n -= 16
        level = lambda v: 0 if v == 0 else 55 + 40 * v
        return "#%02x%02x%02x" % (level(n // 36), level(n // 6 % 6), level(n % 6))
    grey = 8 + 10 * (n - 232)
    return "#%02x%02x%02x" % (grey, grey, grey)


def extended(params):
    """38/48 colour forms: 5;n or 2;r;g;b (also with colons). Returns (colour, consumed)."""
    if params and params[0] == 5 and len(params) > 1:
        return color256(params[1]), 2
    if params and params[0] == 2 and len(params) > 3:
        return "#%02x%02x%02x" % tuple(params[1:4]), 4
    return None, len(params)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.bold = self.dim = self.italic = self.underline = self.reverse = self.strike = False
        self.fg = self.bg = None

    def key(self):
        return (self.bold, self.dim, self.italic, self.underline, self.reverse, self.strike, self.fg, self.bg)

    def apply(self, text):
        fields = text.split(";") if text else ["0"]
        i = 0
        while i < len(fields):
            field = fields[i]
            if ":" in field:  # sub-parameters: 4:3 (curly underline), 38:2::r:g:b
                parts = [int(p) if p else 0 for p in field.split(":")]
                if parts[0] in (38, 48, 58):
                    rest = parts[1:]
                    if rest and rest[0] == 2 and len(rest) == 5:
                        rest = [2] + rest[2:]  # drop the colour-space id
                    colour, _ = extended(rest)
                    if parts[0] == 38:
                        self.fg = colour
                    elif parts[0] == 48:
                        self.bg = colour
                elif parts[0] == 4:
                    self.underline = len(parts) < 2 or parts[1] != 0
                i += 1
                continue
            code = int(field) if field else 0
            if code in (38, 48, 58):
                rest = [int(f) if f else 0 for f in fields[i + 1:]]
                colour, used = extended(rest)
                if code == 38:
                    self.fg = colour
                elif code == 48:
                    self.bg = colour
                i += 1 + used
                continue
            if code == 0: self.reset()
            elif code == 1: self.bold = True
            elif code == 2: self.dim = True
            elif code == 3: self.italic = True
            elif code == 4: self.underline = True
            elif code == 7: self.reverse = True
            elif code == 9: self.strike = True
            elif code == 22: self.bold = self.dim = False
            elif code == 23: self.italic = False
            elif code == 24: self.underline = False
            elif code == 27: self.reverse = False
            elif code == 29: self.strike = False
            elif 30 <= code <= 37: self.fg = PALETTE[code - 30]
            elif code == 39: self.fg = None
            elif 40 <= code <= 47: self.bg = PALETTE[code - 40]
            elif code == 49: self.bg = None
            elif 90 <= code <= 97: self.fg = PALETTE[code - 90 + 8]
            elif 100 <= code <= 107: self.bg = PALETTE[code - 100 + 8]
            i += 1


# Parse the whole capture (attributes carry over from line to line) into lines of
# (character, style) cells.
TOKEN = re.compile(r"\x1b\[([0-9;:]*)m|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-9;:?<>=]*[ -/]*[@-~]|\x1b.|(\n)|([^\x1b\n]+)", re.S)
style = Style()
lines = [[]]
for match in TOKEN.finditer(sys.stdin.read()):
    sgr, newline, text = match.group(1), match.group(2), match.group(3)
    if sgr is not None:
        style.apply(sgr)
    elif newline:
        lines.append([])
    elif text:
        key = style.key()
        lines[-1].extend((c, key) for c in text if c != "\r")
    # Any other escape (hyperlinks, cursor movement) is dropped.

plain = ["".join(c for c, _ in line) for line in lines]
start = next((i for i, text in enumerate(plain) if re.search(args.start, text)), None)
if start is None:
    sys.exit("term2html: no line matches --start %r in:\n%s" % (args.start, "\n".join(plain)))
if args.end:
    end = next((i for i in range(start, len(plain)) if re.search(args.end, plain[i])), None)
    if end is None:
        sys.exit("term2html: no line after --start matches --end %r in:\n%s" % (args.end, "\n".join(plain)))
else:
    end = max(i for i in range(start, len(plain)) if plain[i].strip() or i == start)
lines = lines[start:end + 1]

BLANK = Style().key()
for line in lines:  # trailing blanks (tmux keeps the ones the program wrote)
    while line and line[-1][0] == " " and line[-1][1][7] is None and not line[-1][1][4]:
        line.pop()
if args.cursor is not None:
    last = lines[-1]
    while len(last) <= args.cursor:
        last.append((" ", BLANK))
    char, key = last[args.cursor]
    last[args.cursor] = (char, key + ("cursor",))



def wrap(line, width):
    """A line longer than the terminal, wrapped at spaces (a word only when longer than a
    line), continuation lines indented under the text after a leading mark (`✓`, `→`,
    `$`, `1.`), so the figure reads like the terminal's screen without words cut in two."""
    if len(line) <= width:
        return [line]
    text = "".join(c for c, _ in line)
    indent = len(re.match(r" *(?:(?:[✓→–•$]|\d+\.) )?", text).group(0))
    lines, rest, avail = [], line, width
    while len(rest) > avail:
        cut = next((i for i in range(avail, indent, -1) if rest[i][0] == " "), None)
        if cut is None:
            lines.append(rest[:avail])
            rest = rest[avail:]
        else:
            lines.append(rest[:cut])
            rest = rest[cut + 1:]
        while rest and rest[0][0] == " ":
            rest = rest[1:]
        rest = [(" ", BLANK)] * indent + rest
        avail = width
    return lines + [rest]


lines = [wrapped for line in lines for wrapped in wrap(line, args.columns)]

BLOCKS = {"▀": "upper", "▄": "lower", "█": "full"}
# A line of only blocks and blanks (a row of the QR code) is drawn as cells of exactly equal
# width (--cell: the font's advance, rounded to the browser's 1/64 px layout unit), blanks
# included, so every row is equally long and neighbouring boxes meet without seams.
CELLS = set(BLOCKS) | {" "}


def colours(key):
    bold, dim, italic, underline, reverse, strike, fg, bg = key[:8]
    fg, bg = fg or "var(--fg)", bg
    if reverse or len(key) > 8:  # the cursor is drawn as reverse video
        fg, bg = bg or "var(--bg)", fg
    return fg, bg


def span(key, chars, cells):
    bold, dim, italic, underline, reverse, strike = key[:6]
    fg, bg = colours(key)
    classes = [name for name, on in (("b", bold), ("d", dim), ("i", italic), ("u", underline), ("s", strike)) if on]
    if cells:
        # Block characters as boxes a cell wide and exactly half or a whole line high.
        under = bg or "transparent"
        paint = {"upper": "linear-gradient(%s 50%%,%s 50%%)" % (fg, under),
                 "lower": "linear-gradient(%s 50%%,%s 50%%)" % (under, fg),
                 "full": fg, "blank": under}[BLOCKS.get(chars[0], "blank")]
        classes.append("k")
        return '<span class="%s" style="width:calc(%d * var(--cell));background:%s"></span>' % (
            " ".join(classes), len(chars), paint)
    styles = []
    if fg != "var(--fg)":
        styles.append("color:" + fg)
    if bg:
        styles.append("background:" + bg)
    attributes = ""
    if classes:
        attributes += ' class="%s"' % " ".join(classes)
    if styles:
        attributes += ' style="%s"' % ";".join(styles)
    text = html.escape("".join(chars), quote=False)
    return "<span%s>%s</span>" % (attributes, text) if attributes else text


body = []
for line in lines:
    cells = any(c in BLOCKS for c, _ in line) and all(c in CELLS for c, _ in line)
    runs = []
    for char, key in line:
        kind = char if cells or char in BLOCKS else ""
        if runs and runs[-1][0] == key and runs[-1][1] == kind:
            runs[-1][2].append(char)
        else:
            runs.append((key, kind, [char]))
    body.append("".join(span(key, chars, kind != "") for key, kind, chars in runs))

print("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%(title)s</title>
<style>
:root { --fg: %(fg)s; --bg: %(bg)s; --cell: 1ch; }
html, body { margin: 0; background: var(--bg); }
.window { display: inline-block; vertical-align: top; background: var(--bg); color: var(--fg); }
.bar { display: flex; align-items: center; gap: 7px; padding: 7px 12px; background: #262931;
  color: #9aa1ad; font: 12px/16px "DejaVu Sans", sans-serif; white-space: nowrap; }
.bar i { width: 11px; height: 11px; border-radius: 50%%; flex: none; }
.bar span { margin-left: 6px; }
pre { margin: 0; padding: 10px 14px 12px; font: 14px/18px "DejaVu Sans Mono", monospace; }
.b { font-weight: bold; } .d { opacity: 0.6; } .i { font-style: italic; }
.u { text-decoration: underline; } .s { text-decoration: line-through; }
.k { display: inline-block; height: 18px; vertical-align: top; }
</style></head>
<body><div class="window"><div class="bar"><i style="background:#ff5f57"></i><i style="background:#febc2e"></i><i style="background:#28c840"></i><span>%(title)s</span></div>
<pre>%(body)s</pre></div>
<script>
const probe = document.createElement("span");
probe.style.cssText = "position: absolute; white-space: pre; visibility: hidden";
probe.textContent = "0".repeat(100);
document.querySelector("pre").append(probe);
const cell = Math.round(probe.getBoundingClientRect().width / 100 * 64) / 64;
probe.remove();
document.documentElement.style.setProperty("--cell", cell + "px");
const box = document.querySelector(".window").getBoundingClientRect();
document.body.dataset.size = Math.ceil(box.width) + "," + Math.ceil(box.height);
</script>
</body></html>""" % {"title": html.escape(args.title), "fg": FG, "bg": BG, "body": "\n".join(body)})
PYTHON

# NAME CAPTURE START [END] [--cursor]: crop CAPTURE from the first line matching START to
# the next matching END (default: the last line) into NAME.html.
page() {
  local name="$1" capture="$2" start="$3" end="${4:-}" cursor="${5:-}" extra=()
  [ -n "$end" ] && extra+=(--end "$end")
  [ -n "$cursor" ] && extra+=(--cursor "$(cat "$work/$capture.cursor")")
  python3 "$work/term2html.py" --start "$start" "${extra[@]}" --columns "$columns" \
    --title "$command_line" <"$work/$capture.ans" >"$work/$name.html"
}
page step1 done '^━━ 1\. Open My\sSecurity\sCredentials' '^  ✓ iam\.list-mfa-devices existing:'
page step3 create '^━━ 2\. Choose Authenticator\sApp' '' cursor
page step7 enrol '^Scan this with ' '' cursor
page step9 done '^  ✓ totp\.show-enrolment ' '^  ✓ iam\.enable-mfa-device '

# Chromium, headless, offline: only the local page, no background networking, a throwaway
# profile.
browser() {
  local profile
  profile="$(mktemp -d "$work/profile.XXXX")"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-dev-shm-usage --user-data-dir="$profile" --hide-scrollbars "$@" 2>>"$work/chromium.log"
}

for name in step1 step3 step7 step9; do
  url="file://$work/$name.html"
  # First the size of the drawn terminal (the page writes it into its body), then a
  # screenshot of exactly that size at twice the pixel density, for sharp text.
  size="$(browser --window-size=1600,2400 --dump-dom "$url" | grep -o 'data-size="[0-9]*,[0-9]*"' | grep -o '[0-9]*,[0-9]*')"
  [ -n "$size" ] || { echo "figures: chromium did not lay out $name.html; see $work/chromium.log" >&2; keep=true; exit 1; }
  browser --window-size="$size" --force-device-scale-factor=2 --screenshot="$work/$name.png" "$url" >/dev/null
  [ -s "$work/$name.png" ] || { echo "figures: chromium made no screenshot of $name.html; see $work/chromium.log" >&2; keep=true; exit 1; }
  # 32 colours are plenty for a terminal (and a tenth of the bytes).
  pngquant --strip --speed 1 --force --output "runbooks/images/$name.png" 32 "$work/$name.png"
  printf 'figures: runbooks/images/%s.png  %s CSS px, %s bytes\n' "$name" "${size/,/×}" "$(stat -c %s "runbooks/images/$name.png")" >&2
done
echo "figures: done in $((SECONDS - started)) s" >&2
