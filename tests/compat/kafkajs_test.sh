#!/usr/bin/env bash
# tests/compat/kafkajs_test.sh SLUICED: kafkajs (tests/compat/kafkajs/, installed by
# `tools/dev setup` with npm ci) against a sluiced of its own: an admin client, a producer and a
# consumer group with commits. What is asserted: tests/compat/kafkajs/compat_test.js.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 SLUICED_BINARY" >&2; exit 2; }
command -v node >/dev/null || fail "node is not installed (tools/dev setup)"
[ -f "$here/kafkajs/node_modules/kafkajs/package.json" ] ||
  fail "kafkajs is not installed in $here/kafkajs (tools/dev setup runs npm ci there)"
compat_init "$1"

start_sluiced --auto-create-topics false
status=0
timeout 50 node "$here/kafkajs/compat_test.js" "$KAFKA_ADDR" || status=$?
[ "$status" -eq 0 ] || fail "kafkajs: compat_test.js exited with status $status"
stop_sluiced
say "PASS"
