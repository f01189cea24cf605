# tests/compat/lib.sh: sourced by the compatibility tests' shell scripts. Starts a sluiced of
# its own on free loopback ports (port 0: sluiced binds and prints the ports it got) with a
# temporary data directory, waits for its ready line, and always stops it and removes the
# directory when the script exits, whatever the outcome.
#
#   source lib.sh
#   compat_init SLUICED_BINARY        # temporary directory in $COMPAT_TMP, exit trap
#   start_sluiced [extra flags...]    # sets SLUICED_PID, KAFKA_ADDR (host:port), HTTP_ADDR
#   stop_sluiced                      # SIGTERM, expects exit status 0

COMPAT_SLUICED=
COMPAT_TMP=
SLUICED_PID=
KAFKA_ADDR=
HTTP_ADDR=

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
fail() {
  say "FAIL: $*"
  exit 1
}

compat_cleanup() {
  local status=$?
  if [ -n "$SLUICED_PID" ] && kill -0 "$SLUICED_PID" 2>/dev/null; then
    kill -KILL "$SLUICED_PID" 2>/dev/null || true
    wait "$SLUICED_PID" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ] && [ -f "$COMPAT_TMP/sluiced.log" ]; then
    say "sluiced's output:"
    tail -n 30 "$COMPAT_TMP/sluiced.log" >&2
  fi
  [ -n "$COMPAT_TMP" ] && rm -rf "$COMPAT_TMP"
  exit "$status"
}

compat_init() {
  COMPAT_SLUICED=$1
  [ -x "$COMPAT_SLUICED" ] || fail "no sluiced binary at '$COMPAT_SLUICED'"
  COMPAT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-compat.XXXXXX")
  trap compat_cleanup EXIT
  trap 'exit 130' INT TERM
}

start_sluiced() {
  local log=$COMPAT_TMP/sluiced.log line deadline
  "$COMPAT_SLUICED" --data-dir "$COMPAT_TMP/data" --kafka-listen 127.0.0.1:0 \
    --http-listen 127.0.0.1:0 --shards 2 "$@" >"$log" 2>&1 &
  SLUICED_PID=$!
  deadline=$((SECONDS + 20))
  while :; do
    line=$(grep -m1 '^sluiced: Kafka on ' "$log" || true)
    [ -n "$line" ] && break
    kill -0 "$SLUICED_PID" 2>/dev/null || fail "sluiced exited before it was ready"
    [ "$SECONDS" -lt "$deadline" ] || fail "sluiced not ready after 20 s"
    sleep 0.05
  done
  # "sluiced: Kafka on HOST:PORT, HTTP on HOST:PORT, ..."
  KAFKA_ADDR=$(sed -n 's/^sluiced: Kafka on \([^,]*\), HTTP on \([^,]*\),.*/\1/p' <<<"$line")
  HTTP_ADDR=$(sed -n 's/^sluiced: Kafka on \([^,]*\), HTTP on \([^,]*\),.*/\2/p' <<<"$line")
  [ -n "$KAFKA_ADDR" ] && [ -n "$HTTP_ADDR" ] || fail "cannot parse the ready line: $line"
  say "sluiced $SLUICED_PID ready: Kafka on $KAFKA_ADDR, HTTP on $HTTP_ADDR"
}

stop_sluiced() {
  local status=0 deadline=$((SECONDS + 20))
  kill -TERM "$SLUICED_PID"
  while kill -0 "$SLUICED_PID" 2>/dev/null; do
    [ "$SECONDS" -lt "$deadline" ] || fail "sluiced still running 20 s after SIGTERM"
    sleep 0.05
  done
  wait "$SLUICED_PID" || status=$?
  SLUICED_PID=
  [ "$status" -eq 0 ] || fail "sluiced exited with status $status after SIGTERM"
  grep -q '^sluiced: stopped' "$COMPAT_TMP/sluiced.log" || fail "sluiced did not say it stopped"
}
