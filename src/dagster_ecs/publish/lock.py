"""One lock per repository target: `<target>/.lock`, held with flock while a release is assembled or switched.

On Linux NFS clients (EFS is NFSv4.1) flock is carried out as a POSIX byte-range lock on the server, so it
serialises publishes running on different hosts, and the server releases it when the holder dies.
"""

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Generator
from pathlib import Path

from dagster_ecs.publish.errors import LockTimeoutError

LOCK_FILE = ".lock"
_FIRST_WAIT = 0.01
_MAX_WAIT = 0.5


@contextlib.contextmanager
def repository_lock(target: Path, timeout: float) -> Generator[None]:
    """Hold the target's lock for the block; LockTimeoutError (naming the holder) after `timeout` seconds."""
    target.mkdir(parents=True, exist_ok=True)
    fd = os.open(target / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, target, timeout)
        # Who holds it, for the message of whoever waits next; the lock itself is the flock, not this text.
        holder = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, target: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    wait = _FIRST_WAIT
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockTimeoutError(
                    f"{target}: another publish or rollback holds {target / LOCK_FILE} ({_holder(fd)}) and did not "
                    f"finish within {timeout:.0f}s; wait for it, or raise the lock timeout"
                ) from None
            time.sleep(min(wait, max(deadline - time.monotonic(), 0)))
            wait = min(wait * 2, _MAX_WAIT)


def _holder(fd: int) -> str:
    try:
        return "held by " + os.pread(fd, 512, 0).decode(errors="replace").strip()
    except OSError:
        return "holder unknown"
