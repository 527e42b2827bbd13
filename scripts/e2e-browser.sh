#!/usr/bin/env bash
# e2e-browser.sh: runs `wails dev` (real Go services, Vite dev server) on a
# private X server and drives the app in headless Chromium (the system's
# /usr/bin/chromium through playwright-core; no browser download):
# every screen through the sidebar, empty states, Ctrl/Cmd+K, the account
# switcher, offline, dark theme, CSP. Screenshots: build/out/screens/browser-*.png.
#
#   scripts/e2e-browser.sh
#
# Needs: the Wails CLI (WAILS, default `wails`), `npm ci` done in frontend/,
# Xvfb, chromium. Port 34115 (Wails dev server) must be free.
# E2E_BROWSER_TIMEOUT (s, default 900) bounds the wait for wails dev, whose
# first compile of the WebKit bindings takes minutes on a cold Go cache.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WAILS="${WAILS:-wails}"
OUT="$ROOT/build/out/screens"
PORT=34115
URL="http://localhost:$PORT"
TIMEOUT_S="${E2E_BROWSER_TIMEOUT:-900}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

fail() { echo "e2e-browser: FAIL: $*" >&2; exit 1; }
log() { echo "e2e-browser: $*" >&2; }

command -v "$WAILS" >/dev/null || fail "Wails CLI not found ($WAILS): go install github.com/wailsapp/wails/v2/cmd/wails@v2.16.0, or set WAILS"
command -v Xvfb >/dev/null || fail "Xvfb is not installed (apt-get install xvfb)"
command -v curl >/dev/null || fail "curl is not installed"
[[ -x "$CHROMIUM" ]] || fail "no Chromium at $CHROMIUM (apt-get install chromium, or set CHROMIUM)"
[[ -d "$ROOT/frontend/node_modules/playwright-core" ]] || fail "frontend dependencies missing: run npm ci in frontend/"
if curl -s -o /dev/null --max-time 2 "$URL/"; then
  fail "port $PORT is already serving something: stop the other wails dev first"
fi
mkdir -p "$OUT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/billfold-e2e-browser.XXXXXX")"
XVFB_PID=""
DEV_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$DEV_PID" ]]; then
    # wails dev runs vite, the app and WebKit helpers: end the whole group.
    kill -TERM -- "-$DEV_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$DEV_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$DEV_PID" 2>/dev/null || true
  fi
  if [[ -n "$XVFB_PID" ]]; then
    kill -TERM "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$WORK/dev.log" ]]; then
    echo "e2e-browser: wails dev output (last 40 lines):" >&2
    tail -n 40 "$WORK/dev.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

START=$(date +%s)

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

# -m and -nosyncgomod: never touch go.mod/go.sum; -s: Vite serves the
# frontend (frontend:dev:watcher), no production build; -noreload and
# -nogorebuild: no file watching during the test.
mkdir -p "$WORK/home"
log "starting wails dev (bounded by ${TIMEOUT_S}s)"
(
  cd "$ROOT"
  BILLFOLD_HOME="$WORK/home" CI=true exec setsid "$WAILS" dev -tags webkit2_41 -m -nosyncgomod -s -noreload -nogorebuild -nocolour \
    -devserver "localhost:$PORT" </dev/null >"$WORK/dev.log" 2>&1
) &
DEV_PID=$!

deadline=$(( $(date +%s) + TIMEOUT_S ))
until curl -s -o /dev/null --max-time 2 "$URL/" && grep -q 'Serving assets from' "$WORK/dev.log"; do
  kill -0 "$DEV_PID" 2>/dev/null || fail "wails dev exited before serving $URL"
  [[ $(date +%s) -lt $deadline ]] || fail "wails dev did not serve $URL within ${TIMEOUT_S}s"
  sleep 1
done
READY=$(date +%s)
log "wails dev ready after $((READY - START))s"

cd "$ROOT/frontend"
E2E_URL="$URL" E2E_OUT="$OUT" E2E_BILLFOLD_HOME="$WORK/home" CHROMIUM="$CHROMIUM" \
  timeout 300 node e2e/shell.mjs || fail "browser checks failed (screenshots in $OUT)"

END=$(date +%s)
echo "e2e-browser: PASS in $((END - START))s (wails dev ready after $((READY - START))s, browser checks $((END - READY))s)"
