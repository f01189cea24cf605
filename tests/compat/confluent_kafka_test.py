#!/usr/bin/python3
# tests/compat/confluent_kafka_test.py SLUICED: python3-confluent-kafka (librdkafka) against a
# sluiced of its own, restarted twice. Run with /usr/bin/python3 (Debian's python3-confluent-kafka
# belongs to that interpreter).
#
# The story, on one 4-partition topic and one group of two members ("a" and "b"):
#   1. sluiced starts with topic auto-creation off; the admin client creates the topic
#      (4 partitions); creating it again fails with TOPIC_ALREADY_EXISTS; the metadata lists it.
#   2. Members a and b subscribe; the group splits the partitions 2 and 2.
#   3. An idempotent producer (enable.idempotence=true, acks=all, alive for the whole test)
#      produces 3,000 keyed messages; the group consumes about half of them, each member
#      committing synchronously (explicit offsets) after processing each batch; both close.
#   4. The producer produces 2,000 more while sluiced is stopped with SIGTERM (exit status 0)
#      and restarted on the same ports and data directory.
#   5. A new pair of members joins the group: they resume from the committed offsets and
#      consume about 2,000 more; both close.
#   6. The producer produces 2,000 more while sluiced is killed with SIGKILL and restarted.
#   7. A new pair of members joins and consumes everything that is left; sluiced stops (exit 0).
#
# What is asserted:
#   - every produced message is acknowledged (acks=all) without error; the producer never reports
#     a fatal error;
#   - each partition holds exactly the acknowledged messages at offsets 0..n-1 (no gap and no
#     duplicate, whatever was in flight at the SIGTERM and the SIGKILL: the idempotent producer's
#     retries are not written twice), its high watermark is n, and the messages of each key are in
#     the order they were produced;
#   - after each restart the group's committed offsets are exactly the offsets of its last
#     successful synchronous commits (commits survive SIGTERM and SIGKILL);
#   - each generation of the group gives each member 2 of the 4 partitions, and a member consumes
#     only from its own partitions;
#   - across the whole test, every acknowledged message is consumed exactly once (same partition,
#     offset, key and value), each partition in offset order, and nothing else is consumed: the
#     members commit synchronously after processing each batch and close at a batch boundary
#     before each restart, so resuming from the committed offsets must neither skip nor repeat;
#   - at the end the committed offsets equal the high watermarks.
#
# Members pause their partitions until the group has settled on the 2 + 2 split, so that no batch
# is in the middle of processing during a rebalance (which would legitimately redeliver it).
# COMPAT_DEBUG=protocol,broker,cgrp,eos (librdkafka's `debug`) logs the clients' requests.

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from compat_support import READY, Failure, check, name_progress, say

name_progress("confluent_kafka_test")

TOPIC = "compat-confluent"
GROUP = "compat-confluent-group"
PARTITIONS = 4
KEYS = 50


class Sluiced:
    """One sluiced process at a time on a fixed data directory; the first start picks free
    ports (port 0), restarts reuse them so that the clients' bootstrap address stays valid."""

    def __init__(self, binary, tmp):
        self.binary = binary
        self.tmp = tmp
        self.data_dir = os.path.join(tmp, "data")
        self.kafka = "127.0.0.1:0"
        self.http = "127.0.0.1:0"
        self.process = None
        self.log_path = None
        self.starts = 0

    def start(self):
        self.starts += 1
        self.log_path = os.path.join(self.tmp, f"sluiced.{self.starts}.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [self.binary, "--data-dir", self.data_dir, "--kafka-listen", self.kafka,
                 "--http-listen", self.http, "--shards", "2", "--auto-create-topics", "false"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            with open(self.log_path, "r", errors="replace") as log:
                for line in log:
                    m = READY.match(line)
                    if m:
                        self.kafka = f"{m.group(1)}:{m.group(2)}"
                        self.http = f"{m.group(3)}:{m.group(4)}"
                        say(f"sluiced {self.process.pid} ready: Kafka on {self.kafka}")
                        return
            check(self.process.poll() is None,
                  f"sluiced exited with status {self.process.returncode} before it was ready")
            check(time.monotonic() < deadline, "sluiced not ready after 20 s")
            time.sleep(0.05)

    def stop(self):
        say(f"SIGTERM to sluiced {self.process.pid}")
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            raise Failure("sluiced still running 20 s after SIGTERM")
        check(status == 0, f"sluiced exited with status {status} after SIGTERM")
        with open(self.log_path, "r", errors="replace") as log:
            check("sluiced: stopped\n" in log.read(), "sluiced did not say it stopped")
        self.process = None

    def kill(self):
        say(f"SIGKILL to sluiced {self.process.pid}")
        self.process.kill()
        self.process.wait(timeout=20)
        self.process = None

    def cleanup(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def tail(self):
        if self.log_path and os.path.exists(self.log_path):
            with open(self.log_path, "r", errors="replace") as log:
                return "".join(log.readlines()[-30:])
        return ""


def client_config(sluiced, **extra):
    config = {
        "bootstrap.servers": sluiced.kafka,
        # Reconnect quickly after the restarts (the default backoff grows to 10 s).
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
    }
    if os.environ.get("COMPAT_DEBUG"):
        config["debug"] = os.environ["COMPAT_DEBUG"]
    config.update(extra)
    return config


class IdempotentProducer:
    """The producer, alive for the whole test. Records every delivery report."""

    def __init__(self, sluiced):
        self.fatal = []
        self.failed = []
        self.acked = {}  # (partition, offset) -> (key, value)
        self.sent = 0
        self.lock = threading.Lock()
        self.producer = Producer(client_config(
            sluiced, **{
                "client.id": "compat-producer",
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "message.timeout.ms": 60000,
                "error_cb": self.on_error,
            }))

    def on_error(self, error):
        if error.fatal():
            self.fatal.append(str(error))
        say(f"producer: {error}")

    def on_delivery(self, error, message):
        with self.lock:
            if error is not None:
                self.failed.append(f"{message.key()!r}: {error}")
            else:
                where = (message.partition(), message.offset())
                check(where not in self.acked, f"two acknowledgements for {where}")
                self.acked[where] = (message.key(), message.value())

    def produce(self, count, pause_every=0, pause_s=0.0):
        for _ in range(count):
            i = self.sent
            self.sent += 1
            key = f"key-{i % KEYS}".encode()
            value = f"message {i} of the compat test {'x' * (i % 37)}".encode()
            while True:
                try:
                    self.producer.produce(TOPIC, value=value, key=key, on_delivery=self.on_delivery)
                    break
                except BufferError:
                    self.producer.poll(0.05)
            self.producer.poll(0)
            if pause_every and self.sent % pause_every == 0:
                time.sleep(pause_s)

    def flush(self, what):
        remaining = self.producer.flush(60)
        check(not self.fatal, f"producer fatal error: {self.fatal}")
        check(remaining == 0, f"{remaining} messages not delivered 60 s after {what}")
        check(not self.failed,
              f"{len(self.failed)} messages failed ({what}), first: {self.failed[:5]}")
        check(len(self.acked) == self.sent,
              f"{self.sent} messages produced but {len(self.acked)} acknowledged")
        say(f"{self.sent} messages acknowledged ({what})")


class Group:
    """The consumed messages and the committed offsets, across the group's members."""

    def __init__(self):
        self.consumed = {}  # (partition, offset) -> (key, value)
        self.next_offset = [0] * PARTITIONS  # what the group commits after each batch
        self.committed = [None] * PARTITIONS  # the last successful synchronous commits


class Member:
    def __init__(self, sluiced, name, group):
        self.name = name
        self.group = group
        self.errors = []
        self.consumer = Consumer(client_config(
            sluiced, **{
                "client.id": f"compat-member-{name}",
                "group.id": GROUP,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 300,
                "error_cb": self.on_error,
            }))
        self.consumer.subscribe([TOPIC], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_error(self, error):
        if error.fatal():
            self.errors.append(str(error))
        say(f"member {self.name}: {error}")

    def on_assign(self, consumer, partitions):
        # Assign paused: nothing is fetched until the test sees the 2 + 2 split.
        say(f"member {self.name}: assigned {sorted(p.partition for p in partitions)}")
        consumer.assign(partitions)
        if partitions:
            consumer.pause(partitions)

    def on_revoke(self, consumer, partitions):
        say(f"member {self.name}: revoked {sorted(p.partition for p in partitions)}")
        consumer.unassign()

    def assigned(self):
        return sorted(tp.partition for tp in self.consumer.assignment())

    def resume(self):
        self.consumer.resume(self.consumer.assignment())

    def consume_batch(self):
        """One batch: process (record) it, then commit its offsets synchronously."""
        messages = self.consumer.consume(num_messages=200, timeout=0.1)
        check(not self.errors, f"member {self.name}: fatal error {self.errors}")
        owned = set(self.assigned())
        commits = {}
        for message in messages:
            if message.error() is not None:
                raise Failure(f"member {self.name}: consume error {message.error()}")
            check(message.topic() == TOPIC, f"message from topic {message.topic()}")
            p, o = message.partition(), message.offset()
            check(p in owned, f"member {self.name} got partition {p}, owns {sorted(owned)}")
            check((p, o) not in self.group.consumed,
                  f"member {self.name}: partition {p} offset {o} consumed a second time")
            check(o == self.group.next_offset[p],
                  f"member {self.name}: partition {p} offset {o}, expected "
                  f"{self.group.next_offset[p]}")
            self.group.consumed[(p, o)] = (message.key(), message.value())
            self.group.next_offset[p] = o + 1
            commits[p] = o + 1
        if commits:
            offsets = [TopicPartition(TOPIC, p, o) for p, o in sorted(commits.items())]
            try:
                result = self.consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException as e:
                raise Failure(f"member {self.name}: synchronous commit {commits} failed: {e}")
            for tp in result:
                check(tp.error is None, f"member {self.name}: commit of {tp.partition}: {tp.error}")
            for p, o in commits.items():
                self.group.committed[p] = o
        return len(messages)

    def close(self):
        self.consumer.close()


def join_pair(sluiced, group, names):
    members = [Member(sluiced, name, group) for name in names]
    deadline = time.monotonic() + 30
    while True:
        for m in members:
            got = m.consumer.consume(num_messages=10, timeout=0.1)
            check(not got, f"member {m.name} got messages while its partitions were paused")
        a, b = members[0].assigned(), members[1].assigned()
        if len(a) == 2 and len(b) == 2 and sorted(a + b) == list(range(PARTITIONS)):
            break
        check(time.monotonic() < deadline,
              f"the group did not split the partitions 2 + 2 in 30 s: {a} and {b}")
    say(f"group split: member {names[0]} {a}, member {names[1]} {b}")
    for m in members:
        m.resume()
    return members


def consume_until(members, group, total, what):
    deadline = time.monotonic() + 30
    while len(group.consumed) < total:
        for m in members:
            m.consume_batch()
        check(time.monotonic() < deadline,
              f"{what}: {len(group.consumed)} of {total} messages consumed after 30 s")
    say(f"{what}: {len(group.consumed)} messages consumed and committed")


def check_committed(sluiced, group, what):
    probe = Consumer(client_config(sluiced, **{"group.id": GROUP, "enable.auto.commit": False}))
    try:
        got = probe.committed([TopicPartition(TOPIC, p) for p in range(PARTITIONS)], timeout=15)
    finally:
        probe.close()
    offsets = []
    for tp in sorted(got, key=lambda tp: tp.partition):
        check(tp.error is None, f"{what}: committed offset of partition {tp.partition}: {tp.error}")
        offsets.append(tp.offset if tp.offset >= 0 else None)
    check(offsets == group.committed,
          f"{what}: committed offsets {offsets}, the group's last commits were {group.committed}")
    say(f"{what}: committed offsets {offsets} as committed")


def produce_across(sluiced, producer, count, restart, what):
    """Produces `count` messages in a thread while `restart` stops and starts sluiced."""
    thread = threading.Thread(target=producer.produce, args=(count, 20, 0.01))
    thread.start()
    time.sleep(0.3)
    restart()
    sluiced.start()
    thread.join()
    producer.flush(what)


def run(binary, tmp):
    sluiced = Sluiced(binary, tmp)
    try:
        body(sluiced)
    except BaseException:
        say("sluiced's output:\n" + sluiced.tail())
        raise
    finally:
        sluiced.cleanup()


def body(sluiced):
    sluiced.start()

    # 1. The admin client.
    admin = AdminClient(client_config(sluiced))
    futures = admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS,
                                            replication_factor=1)], operation_timeout=10)
    futures[TOPIC].result(timeout=20)
    futures = admin.create_topics([NewTopic(TOPIC, num_partitions=PARTITIONS,
                                            replication_factor=1)], operation_timeout=10)
    try:
        futures[TOPIC].result(timeout=20)
        raise Failure("creating the topic a second time succeeded")
    except KafkaException as e:
        check(e.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS,
              f"creating the topic again: {e}, expected TOPIC_ALREADY_EXISTS")
    metadata = admin.list_topics(timeout=10)
    check(TOPIC in metadata.topics, f"the metadata does not list {TOPIC}")
    check(metadata.topics[TOPIC].error is None, f"topic error {metadata.topics[TOPIC].error}")
    check(sorted(metadata.topics[TOPIC].partitions) == list(range(PARTITIONS)),
          f"partitions {sorted(metadata.topics[TOPIC].partitions)}")
    say(f"admin: created {TOPIC} with {PARTITIONS} partitions")
    del admin

    # 2-3. The group forms on the empty topic, then the producer starts.
    group = Group()
    members = join_pair(sluiced, group, ["a", "b"])
    producer = IdempotentProducer(sluiced)
    producer.produce(3000)
    producer.flush("first 3000")
    consume_until(members, group, 1500, "before the SIGTERM")
    for m in members:
        m.close()

    # 4-5. SIGTERM with produce requests in flight; a new pair resumes.
    produce_across(sluiced, producer, 2000, sluiced.stop, "across the SIGTERM")
    check_committed(sluiced, group, "after the SIGTERM")
    members = join_pair(sluiced, group, ["c", "d"])
    consume_until(members, group, len(group.consumed) + 2000, "after the SIGTERM")
    for m in members:
        m.close()

    # 6-7. SIGKILL with produce requests in flight; a new pair consumes the rest.
    produce_across(sluiced, producer, 2000, sluiced.kill, "across the SIGKILL")
    check_committed(sluiced, group, "after the SIGKILL")
    members = join_pair(sluiced, group, ["e", "f"])
    consume_until(members, group, len(producer.acked), "after the SIGKILL")
    quiet_until = time.monotonic() + 1.5  # anything more would be a duplicate or a phantom
    while time.monotonic() < quiet_until:
        for m in members:
            check(m.consume_batch() == 0, "messages beyond the acknowledged ones")

    # The log holds exactly the acknowledged messages, each key's in production order.
    counts = [0] * PARTITIONS
    last_of_key = {}
    for (p, o) in sorted(producer.acked):
        check(o == counts[p], f"partition {p}: acknowledged offset {o}, expected {counts[p]}")
        counts[p] += 1
        key, value = producer.acked[(p, o)]
        n = int(value.split()[1])
        check(last_of_key.get(key, -1) < n, f"key {key!r}: message {n} after a later one")
        last_of_key[key] = n
    for p in range(PARTITIONS):
        low, high = members[0].consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)
        check((low, high) == (0, counts[p]),
              f"partition {p}: watermarks {low}..{high}, {counts[p]} messages acknowledged")
    check(group.consumed == producer.acked,
          f"consumed {len(group.consumed)} messages, acknowledged {len(producer.acked)}; "
          f"they differ at {sorted(set(group.consumed.items()) ^ set(producer.acked.items()))[:5]}")
    check(group.committed == counts, f"final commits {group.committed}, watermarks {counts}")
    for m in members:
        m.close()
    check_committed(sluiced, group, "at the end")
    say(f"{len(producer.acked)} messages, partitions {counts}: each consumed exactly once")
    sluiced.stop()


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} SLUICED_BINARY", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="sluice-compat-")
    try:
        run(sys.argv[1], tmp)
    except Failure as e:
        say(f"FAIL: {e}")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    say("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
