# tests/compat/compat_support.py: what the Python real-client tests share: the line sluiced
# prints when it listens, progress lines with the time since the start, and a failed check.

import re
import sys
import time

# "sluiced: Kafka on HOST:PORT, HTTP on HOST:PORT, ..."
READY = re.compile(r"^sluiced: Kafka on (\S+):(\d+), HTTP on (\S+):(\d+),")
_started = time.monotonic()
_name = "compat"


def name_progress(name):
    global _name
    _name = name


def say(text):
    print(f"{_name} [{time.monotonic() - _started:6.2f}s]: {text}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


def check(condition, text):
    if not condition:
        raise Failure(text)
