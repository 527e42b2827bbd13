#!/usr/bin/env bash
# e2e-dashboard.sh: the Dashboard screen end to end on the demo workspace.
# Builds a 300-customer demo into a temp BILLFOLD_HOME (`billfold demo`; it is
# then the only, so the current, account), runs `wails dev` (real Go services)
# under Xvfb and drives the app in headless Chromium (frontend/e2e/
# dashboard.mjs): KPI tiles hold numbers, every chart canvas has drawn pixels,
# changing the range changes the numbers. Screenshots:
# build/out/screens/dashboard-*.png.
#
#   scripts/e2e-dashboard.sh            (E2E_PORT, default 34135)
#
# Needs: the Wails CLI (WAILS, default `wails`), `npm ci` in frontend/, Xvfb,
# chromium.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WAILS="${WAILS:-wails}"
OUT="$ROOT/build/out/screens"
PORT="${E2E_PORT:-34135}"
URL="http://localhost:$PORT"
TIMEOUT_S="${E2E_BROWSER_TIMEOUT:-900}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

fail() { echo "e2e-dashboard: FAIL: $*" >&2; exit 1; }
log() { echo "e2e-dashboard: $*" >&2; }

command -v "$WAILS" >/dev/null || fail "Wails CLI not found ($WAILS)"
command -v Xvfb >/dev/null || fail "Xvfb is not installed (apt-get install xvfb)"
command -v curl >/dev/null || fail "curl is not installed"
[[ -x "$CHROMIUM" ]] || fail "no Chromium at $CHROMIUM"
[[ -d "$ROOT/frontend/node_modules/playwright-core" ]] || fail "frontend dependencies missing: run npm ci in frontend/"
[[ -d "$ROOT/frontend/node_modules/uplot" ]] || fail "frontend dependencies missing (uplot): run npm ci in frontend/"
if curl -s -o /dev/null --max-time 2 "$URL/"; then
  fail "port $PORT is already serving something: stop the other wails dev first (or set E2E_PORT)"
fi
mkdir -p "$OUT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/billfold-e2e-dashboard.XXXXXX")"
XVFB_PID="" DEV_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$DEV_PID" ]]; then
    kill -TERM -- "-$DEV_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$DEV_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$DEV_PID" 2>/dev/null || true
  fi
  if [[ -n "$XVFB_PID" ]]; then
    kill -TERM "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$WORK/dev.log" ]]; then
    echo "e2e-dashboard: wails dev output (last 40 lines):" >&2
    tail -n 40 "$WORK/dev.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
START=$(date +%s)

mkdir -p "$WORK/home"
(cd "$ROOT" && go build -o "$WORK/billfold" .)
BILLFOLD_HOME="$WORK/home" "$WORK/billfold" demo --customers 300 >"$WORK/demo.log" 2>&1 || fail "the demo did not build: $(tail -n 5 "$WORK/demo.log")"
log "$(grep -m1 'built in' "$WORK/demo.log" || true)"

exec 3>"$WORK/display"
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp -noreset >"$WORK/xvfb.log" 2>&1 &
XVFB_PID=$!
exec 3>&-
for _ in $(seq 1 100); do
  [[ -s "$WORK/display" ]] && break
  sleep 0.05
done
[[ -s "$WORK/display" ]] || fail "Xvfb did not report a display within 5 s"
export DISPLAY=":$(head -n1 "$WORK/display")"

log "starting wails dev on $PORT (bounded by ${TIMEOUT_S}s)"
(
  cd "$ROOT"
  BILLFOLD_HOME="$WORK/home" CI=true \
    exec setsid "$WAILS" dev -tags webkit2_41 -m -nosyncgomod -s -noreload -nogorebuild -nocolour \
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
E2E_URL="$URL" E2E_OUT="$OUT" CHROMIUM="$CHROMIUM" \
  timeout 600 node e2e/dashboard.mjs || fail "browser checks failed (screenshots in $OUT)"

END=$(date +%s)
echo "e2e-dashboard: PASS in $((END - START))s (wails dev ready after $((READY - START))s, browser checks $((END - READY))s)"
