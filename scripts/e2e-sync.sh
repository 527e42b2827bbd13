#!/usr/bin/env bash
# e2e-sync.sh: the Sync screen end to end. In a private D-Bus session with
# gnome-keyring (never the user's), it starts the Stripe emulator (`billfold
# sandbox`, 400 customers) on a free loopback port, runs `wails dev` with
# BILLFOLD_API_BASE pointing at it, adds a sandbox account through the
# Accounts form, then drives the Sync screen in headless Chromium
# (frontend/e2e/sync.mjs): a sync with live per-type progress and its final
# summary, a full resync cancelled midway, and a resumed sync. Screenshots:
# build/out/screens/sync-*.png.
#
#   scripts/e2e-sync.sh
#
# Needs: the Wails CLI (WAILS, default `wails`), `npm ci` in frontend/, Xvfb,
# chromium, dbus-run-session, gnome-keyring. Port 34127 must be free.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "${BILLFOLD_E2E_IN_DBUS:-}" ]]; then
  command -v dbus-run-session >/dev/null || { echo "e2e-sync: FAIL: dbus-run-session missing (apt-get install dbus)" >&2; exit 1; }
  command -v gnome-keyring-daemon >/dev/null || { echo "e2e-sync: FAIL: gnome-keyring missing (apt-get install gnome-keyring)" >&2; exit 1; }
  XDG_DATA_HOME="$(mktemp -d)" XDG_RUNTIME_DIR="$(mktemp -d)"
  chmod 700 "$XDG_RUNTIME_DIR"
  export XDG_DATA_HOME XDG_RUNTIME_DIR BILLFOLD_E2E_IN_DBUS=1
  rc=0
  dbus-run-session -- "$0" "$@" || rc=$?
  rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
  exit $rc
fi

WAILS="${WAILS:-wails}"
OUT="$ROOT/build/out/screens"
PORT=34127
URL="http://localhost:$PORT"
TIMEOUT_S="${E2E_BROWSER_TIMEOUT:-900}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
KEY="sk_test_E2eSandboxSyncKey20261123"

fail() { echo "e2e-sync: FAIL: $*" >&2; exit 1; }
log() { echo "e2e-sync: $*" >&2; }

command -v "$WAILS" >/dev/null || fail "Wails CLI not found ($WAILS)"
command -v Xvfb >/dev/null || fail "Xvfb is not installed (apt-get install xvfb)"
command -v curl >/dev/null || fail "curl is not installed"
[[ -x "$CHROMIUM" ]] || fail "no Chromium at $CHROMIUM"
[[ -d "$ROOT/frontend/node_modules/playwright-core" ]] || fail "frontend dependencies missing: run npm ci in frontend/"
if curl -s -o /dev/null --max-time 2 "$URL/"; then
  fail "port $PORT is already serving something: stop the other wails dev first"
fi
printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null || fail "gnome-keyring did not start in the private session"
mkdir -p "$OUT"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/billfold-e2e-sync.XXXXXX")"
XVFB_PID="" DEV_PID="" SB_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$DEV_PID" ]]; then
    kill -TERM -- "-$DEV_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 -- "-$DEV_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$DEV_PID" 2>/dev/null || true
  fi
  [[ -n "$SB_PID" ]] && kill -TERM "$SB_PID" 2>/dev/null || true
  if [[ -n "$XVFB_PID" ]]; then
    kill -TERM "$XVFB_PID" 2>/dev/null || true
    wait "$XVFB_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$WORK/dev.log" ]]; then
    echo "e2e-sync: wails dev output (last 40 lines):" >&2
    tail -n 40 "$WORK/dev.log" >&2 || true
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
START=$(date +%s)

# the emulator, on a port the kernel picks
(cd "$ROOT" && go build -o "$WORK/billfold" .)
"$WORK/billfold" sandbox --addr 127.0.0.1:0 --seed 11 --customers 400 2>"$WORK/sandbox.log" &
SB_PID=$!
API=""
for _ in $(seq 1 200); do
  API="$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/sandbox.log" | head -n1 || true)"
  [[ -n "$API" ]] && break
  kill -0 "$SB_PID" 2>/dev/null || fail "the sandbox exited: $(cat "$WORK/sandbox.log")"
  sleep 0.1
done
[[ -n "$API" ]] || fail "the sandbox did not report its address"
log "sandbox on $API"

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

mkdir -p "$WORK/home"
log "starting wails dev (bounded by ${TIMEOUT_S}s)"
(
  cd "$ROOT"
  BILLFOLD_HOME="$WORK/home" BILLFOLD_API_BASE="$API" CI=true \
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
E2E_URL="$URL" E2E_OUT="$OUT" E2E_BILLFOLD_HOME="$WORK/home" E2E_KEY="$KEY" CHROMIUM="$CHROMIUM" \
  timeout 600 node e2e/sync.mjs || fail "browser checks failed (screenshots in $OUT)"

# the key is in the keyring only: no file under BILLFOLD_HOME, no log holds it
if grep -rl -- "$KEY" "$WORK/home" "$WORK/dev.log" 2>/dev/null; then
  fail "the API key was found in the files above"
fi
ls "$WORK"/home/accounts/*/test.db >/dev/null 2>&1 || fail "no cache file was written under BILLFOLD_HOME/accounts"

END=$(date +%s)
echo "e2e-sync: PASS in $((END - START))s (wails dev ready after $((READY - START))s, browser checks $((END - READY))s)"
