#!/usr/bin/python3
# tests/compat/compression_test.py SLUICED SLUICE: compressed batches from a real Kafka client
# (python3-confluent-kafka, that is librdkafka; run with /usr/bin/python3, whose package it is).
#
# For each codec Kafka defines (gzip, snappy, lz4, zstd), on a keyed topic of its own (1
# partition, so that sluice's key index and the client's partitioner agree) created over HTTP:
#   1. a producer with compression.type=<codec> and a linger that fills batches sends 600 keyed
#      messages with a header each, all acknowledged (acks=all);
#   2. `sluice log dump` shows that the partition holds batches of that codec (the log stores what
#      the client sent, compressed);
#   3. the HTTP query path decodes them: GET .../partitions/0/events?from=..&limit=.. pages through
#      every message (offset, key, value and header), GET .../events/{offset} reads one from the
#      middle of a batch, and GET /v1/topics/{t}/keys/{key} answers the last message of each key;
#   4. a Kafka consumer reads the partition from offset 0 and gets every message unchanged.

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition

from compat_support import READY, Failure, check, name_progress, say

name_progress("compression_test")

CODECS = ["gzip", "snappy", "lz4", "zstd"]
COUNT = 600
KEYS = 40


def key_of(i):
    return f"key-{i % KEYS}"


def value_of(codec, i):
    # Repetitive enough to compress, different for every message.
    return f"{codec} message {i}: " + "abcdefgh" * (i % 23) + f" end {i}"


def http(base, method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


def start_sluiced(binary, tmp):
    log_path = os.path.join(tmp, "sluiced.log")
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [binary, "--data-dir", os.path.join(tmp, "data"), "--kafka-listen", "127.0.0.1:0",
         "--http-listen", "127.0.0.1:0", "--shards", "2", "--auto-create-topics", "false"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        with open(log_path, "r", errors="replace") as lines:
            for line in lines:
                m = READY.match(line)
                if m:
                    return process, log_path, f"{m.group(1)}:{m.group(2)}", \
                        f"http://{m.group(3)}:{m.group(4)}"
        check(process.poll() is None, "sluiced exited before it was ready")
        check(time.monotonic() < deadline, "sluiced not ready after 20 s")
        time.sleep(0.05)


def produce(kafka, topic, codec):
    failed = []
    acked = []
    producer = Producer({"bootstrap.servers": kafka, "compression.type": codec, "acks": "all",
                         "linger.ms": 20, "batch.num.messages": 200})

    def on_delivery(error, message):
        if error is not None:
            failed.append(str(error))
        else:
            acked.append(message.offset())

    for i in range(COUNT):
        producer.produce(topic, key=key_of(i).encode(), value=value_of(codec, i).encode(),
                         headers=[("n", str(i).encode())], on_delivery=on_delivery)
        producer.poll(0)
    check(producer.flush(15) == 0, f"{codec}: messages still in flight after 15 s")
    check(not failed, f"{codec}: delivery failures: {failed[:3]}")
    check(sorted(acked) == list(range(COUNT)), f"{codec}: acknowledged offsets are not 0..{COUNT - 1}")


def check_log_dump(sluice, data_dir, topic, codec):
    partition_dir = None
    for root, _, files in os.walk(data_dir):
        if topic in root and any(f.endswith(".log") for f in files):
            partition_dir = root
    check(partition_dir is not None, f"{topic}: no partition directory under {data_dir}")
    dump = subprocess.run([sluice, "log", "dump", partition_dir], capture_output=True, text=True,
                          timeout=20)
    check(dump.returncode == 0, f"sluice log dump: status {dump.returncode}: {dump.stderr}")
    if os.environ.get("COMPAT_DEBUG"):
        say(dump.stdout)
    # librdkafka sends a batch uncompressed when compressing does not make it smaller (a batch
    # of one or two messages): most records must be in batches of the codec, the rest in none.
    records = {}
    for count, name in re.findall(r" records=(\d+) .* compression=(\S+) ", dump.stdout):
        records[name] = records.get(name, 0) + int(count)
    check(set(records) <= {codec, "none"}, f"{topic}: log dump shows codecs {set(records)}")
    check(records.get(codec, 0) >= COUNT * 9 // 10,
          f"{topic}: only {records.get(codec, 0)} of {COUNT} records in {codec} batches")
    return len(re.findall(rf" compression={codec} ", dump.stdout))


def check_event(codec, event, i):
    check(event["offset"] == i, f"{codec}: offset {event['offset']}, expected {i}")
    check(event["key"] == key_of(i), f"{codec} {i}: key {event['key']!r}")
    check(event["value"] == value_of(codec, i), f"{codec} {i}: value {event['value']!r}")
    check(event["headers"] == {"n": str(i)}, f"{codec} {i}: headers {event['headers']!r}")


def check_http(base, topic, codec):
    offset = 0
    while offset < COUNT:
        status, page = http(base, "GET", f"/v1/topics/{topic}/partitions/0/events?from={offset}"
                            f"&limit=250")
        check(status == 200, f"{codec}: GET events from {offset}: {status} {page}")
        events = page["events"]
        check(events, f"{codec}: no events from {offset}")
        for event in events:
            check_event(codec, event, offset)
            offset += 1
        check(page["next_offset"] == offset, f"{codec}: next_offset {page['next_offset']}")
    status, event = http(base, "GET", f"/v1/topics/{topic}/partitions/0/events/{COUNT // 2 + 3}")
    check(status == 200, f"{codec}: GET one event: {status} {event}")
    check_event(codec, event, COUNT // 2 + 3)
    for k in range(KEYS):
        last = max(i for i in range(COUNT) if i % KEYS == k)
        status, event = http(base, "GET", f"/v1/topics/{topic}/keys/{urllib.parse.quote(key_of(k))}")
        check(status == 200, f"{codec}: GET key {key_of(k)}: {status} {event}")
        check_event(codec, event, last)


def check_consumer(kafka, topic, codec):
    consumer = Consumer({"bootstrap.servers": kafka, "group.id": f"compat-compression-{codec}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.monotonic() + 15
    while len(got) < COUNT and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=1000, timeout=0.5):
            check(message.error() is None, f"{codec}: consumer error {message.error()}")
            got.append(message)
    consumer.close()
    check(len(got) == COUNT, f"{codec}: consumed {len(got)} of {COUNT}")
    for i, message in enumerate(got):
        check(message.offset() == i, f"{codec}: consumed offset {message.offset()} at {i}")
        check(message.key() == key_of(i).encode(), f"{codec} {i}: consumed key {message.key()!r}")
        check(message.value() == value_of(codec, i).encode(),
              f"{codec} {i}: consumed value {message.value()!r}")
        check(message.headers() == [("n", str(i).encode())],
              f"{codec} {i}: consumed headers {message.headers()!r}")


def main():
    if len(sys.argv) != 3:
        print("usage: compression_test.py SLUICED SLUICE", file=sys.stderr)
        return 2
    sluiced, sluice = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="sluice-compat-compression.")
    process = None
    log_path = None
    try:
        process, log_path, kafka, base = start_sluiced(sluiced, tmp)
        say(f"sluiced {process.pid} ready: Kafka on {kafka}, HTTP on {base}")
        for codec in CODECS:
            topic = f"compat-compression-{codec}"
            status, body = http(base, "PUT", f"/v1/topics/{topic}",
                                {"partitions": 1, "keyed_index": True})
            check(status in (200, 201), f"PUT topic {topic}: {status} {body}")
            produce(kafka, topic, codec)
            batches = check_log_dump(sluice, os.path.join(tmp, "data"), topic, codec)
            check_http(base, topic, codec)
            check_consumer(kafka, topic, codec)
            say(f"{codec}: {COUNT} messages in {batches} compressed batches, read back over HTTP "
                f"and Kafka")
        process.send_signal(signal.SIGTERM)
        check(process.wait(timeout=20) == 0, "sluiced did not exit cleanly after SIGTERM")
        process = None
        say("PASS")
        return 0
    except Failure as failure:
        say(f"FAIL: {failure}")
        if log_path and os.path.exists(log_path):
            with open(log_path, "r", errors="replace") as log:
                sys.stderr.write("".join(log.readlines()[-30:]))
        return 1
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
