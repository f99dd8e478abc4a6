#!/usr/bin/env bash
# The preload's promise, checked on someone else's code: a well-known
# networking package's own test suite (express, ws: mocha over real loopback
# HTTP/WebSocket connections) gives the same results with
# NODE_OPTIONS="--require tcp-keepalive/register" and keepalive settings in the
# environment as without them. Runs the suite's `npm test` twice, plainly and
# under our dist/register.js, each with a deadline; prints
#   plain: N passed, M failed
#   preload: N passed, M failed
# lists every test whose result differs, and exits 1 if anything differs
# (counts, a test's result, the exit status), 2 if it could not check.
#
#   bash scripts/foreign-suite.sh /path/to/express-checkout
#   FOREIGN_SUITE_TIMEOUT=120 bash scripts/foreign-suite.sh /tmp/ws
#
# Needs `npm run build` here first, and the npm registry if the checkout has no
# node_modules yet. Not part of .ci/run: CI cannot fetch the checkout.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
helper=$here/foreign-suite.js
register=$(cd "$here/.." && pwd)/dist/register.js
suite=$(cd "${1:?usage: foreign-suite.sh <checkout of the suite>}" && pwd) || exit 2
deadline=${FOREIGN_SUITE_TIMEOUT:-900}
keepalive=(KEEPIDLE=30 KEEPINTVL=5 KEEPCNT=3 TCP_USER_TIMEOUT=20000)
preload_options="${NODE_OPTIONS:+$NODE_OPTIONS }--require \"$register\""
out=$(mktemp -d /tmp/foreign-suite.XXXXXX)

[ -f "$register" ] || { echo "no $register: run npm run build first" >&2; exit 2; }
cd "$suite"
if [ ! -d node_modules ]; then
  npm install --no-audit --no-fund || exit 2
fi

# Equal results prove nothing if the preload never ran: check it sets the values.
env "${keepalive[@]}" NODE_OPTIONS="$preload_options" node "$helper" probe || exit 2

# mocha reports through our reporter into a JSON file; other runners (node:test)
# are read from the TAP lines of their log.
is_mocha=$(node -p "/\bmocha\b/.test(require('./package.json').scripts.test || '')")

run() { # label, then the environment of the run
  local label=$1; shift
  local result=$out/$label.log args=()
  if [ "$is_mocha" = true ]; then
    result=$out/$label.json
    args=(-- --reporter "$helper" --reporter-options "output=$result")
  fi
  local start=$SECONDS
  env "$@" timeout --kill-after=30 "$deadline" npm test "${args[@]}" >"$out/$label.log" 2>&1
  local status=$?
  [ "$status" = 124 ] && status="124 (deadline of ${deadline} s reached)"
  eval "${label}_status=\$status; ${label}_result=\$result"
  if [ -s "$result" ]; then
    echo "$label: $(node "$helper" count "$result")"
  else
    echo "$label: no result"
  fi
  echo "  $label run: exit $status, $((SECONDS - start)) s, log $out/$label.log"
}

run plain -u KEEPIDLE -u KEEPINTVL -u KEEPCNT -u TCP_USER_TIMEOUT
run preload "${keepalive[@]}" NODE_OPTIONS="$preload_options"

warnings=$(grep -c 'TCP_KEEPALIVE' "$out/preload.log")
[ "$warnings" = 0 ] || echo "  preload run: $warnings keepalive warnings in its log"

differs=0
if [ ! -s "$plain_result" ] || [ ! -s "$preload_result" ]; then
  differs=1
else
  changed=$(node "$helper" diff "$plain_result" "$preload_result")
  [ "$(node "$helper" count "$plain_result")" = "$(node "$helper" count "$preload_result")" ] || differs=1
  [ -z "$changed" ] || { differs=1; echo "tests whose result differs:"; echo "$changed"; }
fi
[ "$plain_status" = "$preload_status" ] || { differs=1; echo "exit status differs: plain $plain_status, preload $preload_status"; }
[ "$differs" = 0 ] && echo "same results with and without the preload" || echo "DIFFERENT results under the preload"
exit "$differs"
