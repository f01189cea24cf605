#!/usr/bin/env bash
# tests/compat/kcat_test.sh SLUICED: kcat (librdkafka) against a sluiced of its own.
#   1. produces 100,000 keyed messages (1,000 distinct keys) with `kcat -P -K :` into a topic
#      that the producer's Metadata request auto-creates with 4 partitions;
#   2. consumes the topic from the beginning to its end with `kcat -C -e` and checks: every
#      message exactly once, key and value byte for byte, each partition's offsets 0, 1, 2, ...
#      without gaps, each partition's messages in the order they were produced, each key in
#      exactly one partition, all 4 partitions used;
#   3. `kcat -L` (plain and -J) lists the one broker at the address we connect to, and the topic
#      with its 4 partitions, each led by that broker, without errors.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 SLUICED_BINARY" >&2; exit 2; }
command -v kcat >/dev/null || fail "kcat is not installed (tools/dev setup)"
command -v jq >/dev/null || fail "jq is not installed (tools/dev setup)"
compat_init "$1"

count=100000
topic=compat-kcat
start_sluiced --auto-create-topics true --default-partitions 4

# Message i: key "key-(i mod 1000)", value "i:<i>:" followed by (i mod 61) letters, so values
# differ in length and content. The key delimiter is the first ':' of each line.
awk -v n="$count" 'BEGIN {
  pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
  for (i = 0; i < n; i++) printf "key-%d:i:%d:%s\n", i % 1000, i, substr(pad, 1, i % 61);
}' >"$COMPAT_TMP/input"

say "producing $count keyed messages"
status=0
timeout 25 kcat -P -b "$KAFKA_ADDR" -t "$topic" -K : -X acks=all \
  <"$COMPAT_TMP/input" 2>"$COMPAT_TMP/produce.err" || status=$?
if [ "$status" -ne 0 ]; then
  cat "$COMPAT_TMP/produce.err" >&2
  fail "kcat -P exited with status $status"
fi
if grep -qi 'fail\|error' "$COMPAT_TMP/produce.err"; then
  cat "$COMPAT_TMP/produce.err" >&2
  fail "kcat -P reported errors"
fi

say "consuming them back"
status=0
timeout 25 kcat -C -b "$KAFKA_ADDR" -t "$topic" -o beginning -e -q \
  -f '%p %o %k %s\n' >"$COMPAT_TMP/output" 2>"$COMPAT_TMP/consume.err" || status=$?
if [ "$status" -ne 0 ]; then
  cat "$COMPAT_TMP/consume.err" >&2
  fail "kcat -C exited with status $status"
fi

awk -v n="$count" '
  BEGIN {
    pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-";
    bad = 0;
  }
  function problem(text) {
    if (bad < 10) print "line " NR ": " text ": " $0 > "/dev/stderr";
    bad++;
  }
  {
    if (NF != 4) { problem("not 4 fields"); next }
    p = $1; o = $2; k = $3; v = $4;
    split(v, f, ":");
    i = f[2] + 0;
    if (f[1] != "i" || f[2] != i "" || i < 0 || i >= n) { problem("unknown value"); next }
    if (v != sprintf("i:%d:%s", i, substr(pad, 1, i % 61))) problem("value altered");
    if (k != "key-" (i % 1000)) problem("key altered");
    if (i in seen) problem("message " i " consumed twice");
    seen[i] = 1;
    if (o != next_offset[p] + 0) problem("partition " p ": offset " o ", expected " next_offset[p] + 0);
    next_offset[p] = o + 1;
    if ((p in last) && i <= last[p]) problem("partition " p ": message " i " after " last[p]);
    last[p] = i;
    if ((k in partition_of) && partition_of[k] != p) problem("key " k " in two partitions");
    partition_of[k] = p;
    total++;
  }
  END {
    for (p in next_offset) partitions++;
    missing = 0;
    for (i = 0; i < n; i++) if (!(i in seen)) missing++;
    if (missing) { print missing " of " n " messages missing" > "/dev/stderr"; bad++ }
    if (partitions != 4) { print "messages in " partitions " partitions, expected 4" > "/dev/stderr"; bad++ }
    printf "consumed %d messages from %d partitions:", total, partitions > "/dev/stderr";
    for (p in next_offset) printf " %s:%d", p, next_offset[p] > "/dev/stderr";
    print "" > "/dev/stderr";
    exit bad != 0;
  }' "$COMPAT_TMP/output" || fail "the consumed messages differ from the produced ones"

say "kcat -L"
timeout 20 kcat -L -b "$KAFKA_ADDR" >"$COMPAT_TMP/metadata" 2>&1 || {
  cat "$COMPAT_TMP/metadata" >&2
  fail "kcat -L failed"
}
cat "$COMPAT_TMP/metadata" >&2
grep -Eq "^ +broker [0-9]+ at $KAFKA_ADDR" "$COMPAT_TMP/metadata" ||
  fail "kcat -L does not list the broker at $KAFKA_ADDR"
grep -q "topic \"$topic\" with 4 partitions:" "$COMPAT_TMP/metadata" ||
  fail "kcat -L does not list $topic with 4 partitions"

timeout 20 kcat -L -J -b "$KAFKA_ADDR" -t "$topic" >"$COMPAT_TMP/metadata.json" 2>"$COMPAT_TMP/metadata.err" || {
  cat "$COMPAT_TMP/metadata.err" >&2
  fail "kcat -L -J failed"
}

jq -e --arg topic "$topic" --arg name "$KAFKA_ADDR" '
  (.brokers | length == 1) and (.brokers[0].name == $name) and
  (.brokers[0].id as $id |
    (.topics | length == 1) and (.topics[0].topic == $topic) and (.topics[0].error == null) and
    (.topics[0].partitions | length == 4) and
    ([.topics[0].partitions[].partition] | sort == [0, 1, 2, 3]) and
    all(.topics[0].partitions[]; .leader == $id and .error == null and .replicas == [{id: $id}]))
' "$COMPAT_TMP/metadata.json" >/dev/null || {
  cat "$COMPAT_TMP/metadata.json" >&2
  fail "kcat -L -J: unexpected metadata"
}

stop_sluiced
say "PASS"
