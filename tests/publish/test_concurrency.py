"""Concurrency: publishes of one repository are serialised by its lock; different repositories do not wait.

The evidence is ordering, not timing. The test holds a repository's lock, starts two publishes (the real CLI,
in separate processes), waits until both have opened the lock file, and lets go. Run one after the other, the
second release records the first as the release live before it; run together, both would record the same one.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.errors import LockTimeoutError
from dagster_ecs.publish.lock import LOCK_FILE, repository_lock
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import apply_release, live_release, predecessor, releases
from tests.support.publish_trees import expected_files, read_release, write_tree

# Only a bound on waiting for the processes to start; no assertion depends on it.
START_TIMEOUT = 60


def tree(root: Path, label: str) -> Path:
    files = {f"pkg/module_{n}.py": f"VALUE = {n}\n" for n in range(20)}
    return write_tree(root, {**files, "dag.py": f"LABEL = {label!r}\n", "data/big.csv": label * 50_000})


def start_publish(source: Path, target: Path, repository: str = "main") -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "dagster_ecs.publish", "publish", str(source), str(target)]
    command += ["--repository", repository, "--no-preflight", "--no-hash-cache", "--lock-timeout", "120"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` holds a descriptor on `path` (the publish opens its lock file, then waits)."""
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except (FileNotFoundError, ProcessLookupError):
        return False


def wait_until_waiting_on_lock(processes: list[subprocess.Popen[str]], target: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not all(has_open(p.pid, target / LOCK_FILE) for p in processes):
        for process in processes:
            assert process.poll() is None, f"a publish ended while the lock was held: {process.communicate()}"
        assert time.monotonic() < deadline, "the publishes never reached the lock"
        time.sleep(0.02)


def finish(process: subprocess.Popen[str]) -> dict[str, object]:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out)


@pytest.fixture
def target(tmp_path: Path) -> Path:
    target = tmp_path / "efs" / "main"
    initial = tree(tmp_path / "initial", "initial")
    apply_release(target, build_manifest(initial), DirectoryBlobs(initial))
    return target


def test_two_publishes_of_one_repository_run_one_after_the_other(tmp_path: Path, target: Path) -> None:
    first_source, second_source = tree(tmp_path / "a", "a"), tree(tmp_path / "b", "b")
    [initial] = releases(target)
    with repository_lock(target, timeout=10):
        processes = [start_publish(first_source, target), start_publish(second_source, target)]
        wait_until_waiting_on_lock(processes, target)
    results = [finish(p) for p in processes]

    assert all(result["changed"] for result in results)
    made = sorted(str(result["release"]) for result in results)
    assert releases(target) == [initial, *made], "exactly one release per publish"
    # Serialised: the later release was published on top of the earlier one, not on top of the initial one.
    assert predecessor(target, made[0]) == initial
    assert predecessor(target, made[1]) == made[0]
    assert {result["previous"] for result in results} == {initial, made[0]}

    assert live_release(target) == made[1]
    live = read_release(target / "current")
    candidates = [expected_files(build_manifest(source)) for source in (first_source, second_source)]
    assert live in candidates, "current must equal one of the two publishes exactly"


def test_the_same_publish_twice_at_once_makes_one_release(tmp_path: Path, target: Path) -> None:
    source = tree(tmp_path / "a", "a")
    with repository_lock(target, timeout=10):
        processes = [start_publish(source, target), start_publish(source, target)]
        wait_until_waiting_on_lock(processes, target)
    results = [finish(p) for p in processes]
    assert sorted(bool(result["changed"]) for result in results) == [False, True], "the second found it live"
    assert len(releases(target)) == 2
    assert read_release(target / "current") == expected_files(build_manifest(source))


def test_a_held_lock_of_one_repository_does_not_block_another(tmp_path: Path, target: Path) -> None:
    other_target = tmp_path / "efs" / "analytics"
    other_source = tree(tmp_path / "analytics", "analytics")
    source = tree(tmp_path / "a", "a")
    with repository_lock(target, timeout=10):
        other = start_publish(other_source, other_target, "analytics")
        result = finish(other)
        assert result["changed"], "analytics published while main's lock was held"
        assert read_release(other_target / "current") == expected_files(build_manifest(other_source))
        with pytest.raises(LockTimeoutError):
            apply_release(target, build_manifest(source), DirectoryBlobs(source), lock_timeout=0.1)
