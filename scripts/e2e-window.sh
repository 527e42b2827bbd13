#!/usr/bin/env bash
# e2e-window.sh: opens the production Billfold binary in a real window on a
# private X server (Xvfb) and checks that the application shell rendered.
#
#   scripts/e2e-window.sh [BINARY]     (default: build/bin/billfold)
#
# Builds nothing: run `wails build -tags webkit2_41 -o billfold` first.
# Prints the binary size and the cold start time (launch -> window mapped and
# the shell painted). Screenshot: build/out/screens/window.png.
# Needs: Xvfb, xwininfo (x11-utils), ImageMagick (import, convert).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/build/bin/billfold}"
OUT="$ROOT/build/out/screens"
TIMEOUT_S="${E2E_WINDOW_TIMEOUT:-45}"

fail() { echo "e2e-window: FAIL: $*" >&2; exit 1; }
log() { echo "e2e-window: $*" >&2; }

[[ -x "$BIN" ]] || fail "no executable at $BIN: build it with: wails build -tags webkit2_41 -o billfold"
for tool in Xvfb xwininfo import convert; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (apt-get install xvfb x11-utils imagemagick)"
done
mkdir -p "$OUT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/billfold-e2e-window.XXXXXX")"
XVFB_PID=""
APP_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$APP_PID" ]] && kill -0 "$APP_PID" 2>/dev/null; then
    kill -TERM -- "-$APP_PID" 2>/dev/null || kill -TERM "$APP_PID" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$APP_PID" 2>/dev/null || kill -KILL "$APP_PID" 2>/dev/null || true
  fi
  if [[ -n "$XVFB_PID" ]]; then
    kill -TERM "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$WORK/app.log" ]]; then
    echo "e2e-window: application output:" >&2
    tail -n 40 "$WORK/app.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }

# A private X server on a free display (Xvfb picks it and reports it).
exec 3>"$WORK/display"
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp -noreset >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
exec 3>&-
for _ in $(seq 1 100); do
  [[ -s "$WORK/display" ]] && break
  kill -0 "$XVFB_PID" 2>/dev/null || fail "Xvfb exited: $(cat "$WORK/xvfb.log")"
  sleep 0.05
done
[[ -s "$WORK/display" ]] || fail "Xvfb did not report a display within 5 s"
export DISPLAY=":$(head -n1 "$WORK/display")"
log "Xvfb on $DISPLAY"

SIZE_BYTES=$(stat -c %s "$BIN")
mkdir -p "$WORK/home"

# Launch in its own process group (setsid) so cleanup reaches WebKit's helpers.
START=$(now_ms)
BILLFOLD_HOME="$WORK/home" setsid "$BIN" </dev/null >"$WORK/app.log" 2>&1 &
APP_PID=$!

# 1. The window is mapped, titled Billfold.
WIN_ID=""
MAPPED=""
deadline=$(( $(now_ms) + TIMEOUT_S * 1000 ))
while [[ $(now_ms) -lt $deadline ]]; do
  kill -0 "$APP_PID" 2>/dev/null || fail "billfold exited before opening its window"
  line=$(xwininfo -root -tree 2>/dev/null | grep -E '^\s+0x[0-9a-f]+ "Billfold": \(' | grep -v ' 1x1+' | head -n1 || true)
  if [[ -n "$line" ]]; then
    WIN_ID=$(awk '{print $1}' <<<"$line")
    if xwininfo -id "$WIN_ID" 2>/dev/null | grep -q 'Map State: IsViewable'; then
      MAPPED=$(now_ms)
      break
    fi
  fi
  sleep 0.05
done
[[ -n "$MAPPED" ]] || fail "no window titled \"Billfold\" within ${TIMEOUT_S}s"
geom=$(xwininfo -id "$WIN_ID" | awk '/Width:/{w=$2} /Height:/{h=$2} END{print w"x"h}')
W=${geom%x*}; H=${geom#*x}
log "window $WIN_ID \"Billfold\" ${W}x${H} mapped after $((MAPPED - START)) ms"
[[ "$W" -ge 960 && "$H" -ge 600 ]] || fail "window is ${W}x${H}, smaller than the 960x600 minimum"

# 2. The shell is painted: the sidebar (left 200 px, below the menu bar) shows
#    text and icons, and the accent colour (logo, active item, primary button)
#    is on screen. A blank or plain-background window fails both.
#    The loop samples only the sidebar (one cheap ImageMagick run per sample).
export MAGICK_THREAD_LIMIT=1
SHOT="$WORK/window.png"
sidebar_stddev() {
  import -window "$WIN_ID" -crop "200x$((H - 120))+0+60" +repage -colorspace Gray -format '%[fx:standard_deviation]' info: 2>/dev/null || echo 0
}
accent_share() {
  convert "$SHOT" -alpha off -fuzz 12% -fill '#ff0000' -opaque '#5b5bd6' -fuzz 0 \
    -fill black +opaque '#ff0000' -fill white -opaque '#ff0000' -colorspace Gray -format '%[fx:mean]' info:
}
RENDERED=""
sd=0
while [[ $(now_ms) -lt $deadline ]]; do
  kill -0 "$APP_PID" 2>/dev/null || fail "billfold exited after opening its window"
  sd=$(sidebar_stddev)
  captured=$(now_ms)
  [[ -n "${E2E_DEBUG:-}" ]] && log "t=$((captured - START)) ms sidebar stddev=$sd"
  if awk -v sd="$sd" 'BEGIN{exit !(sd > 0.03)}'; then
    RENDERED=$captured
    break
  fi
  sleep 0.05
done
import -window "$WIN_ID" "$SHOT" 2>/dev/null || true
[[ -n "$RENDERED" ]] || { cp -f "$SHOT" "$OUT/window-failed.png" 2>/dev/null || true; fail "the sidebar stayed blank (stddev $sd) for ${TIMEOUT_S}s: see $OUT/window-failed.png"; }
acc=$(accent_share)
awk -v acc="$acc" 'BEGIN{exit !(acc > 0.001)}' || { cp -f "$SHOT" "$OUT/window-failed.png"; fail "no accent colour on screen (share $acc): the shell did not render, see $OUT/window-failed.png"; }

# Let the first data (version from the Go side) arrive, then keep the picture.
sleep 1
kill -0 "$APP_PID" 2>/dev/null || fail "billfold exited after rendering"
import -window "$WIN_ID" "$OUT/window.png"
import -window root "$OUT/window-screen.png"

# 3. Still titled Billfold, and no WebKit, CSP or Go failure in the output.
#    (The bindings themselves are exercised by scripts/e2e-browser.sh.)
xwininfo -id "$WIN_ID" | grep -q '"Billfold"' || fail "window title changed"
if grep -qiE 'panic:|fatal error|error loading|Content Security Policy|Refused to' "$WORK/app.log"; then
  fail "errors in the application output: $(grep -iE 'panic:|fatal error|error loading|Content Security Policy|Refused to' "$WORK/app.log" | head -n3)"
fi

printf 'e2e-window: PASS\n'
printf '  binary:      %s (%s bytes, %.1f MiB)\n' "$BIN" "$SIZE_BYTES" "$(awk -v b="$SIZE_BYTES" 'BEGIN{print b/1048576}')"
printf '  window:      %sx%s, mapped after %d ms\n' "$W" "$H" "$((MAPPED - START))"
printf '  cold start:  %d ms (launch -> window mapped and shell painted)\n' "$((RENDERED - START))"
printf '  sidebar stddev %s, accent share %s\n' "$sd" "$acc"
printf '  screenshot:  %s\n' "$OUT/window.png"
