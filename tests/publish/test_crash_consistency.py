"""Crash consistency: the applying process is killed with SIGKILL at every step and at random moments.

After each kill, `current` resolves to a complete release equal to either the old or the new manifest, never a
mix, and every directory under releases/ is complete; after one more apply the new manifest is live and no
staging is left. The kills come from the release module's test hook (a SIGKILL at its Nth checkpoint: one per
file written, and around the rename, the switch and each pruned release) and from outside at random delays.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.hash_cache import CACHE_ENV
from dagster_ecs.publish.manifest import Manifest, build_manifest
from dagster_ecs.publish.release import KILL_AT_ENV, apply_release, release_manifest, releases
from tests.support.publish_trees import expected_files, read_release, write_tree

KEEP = 2
HOOK_TRIALS = 50
TIMED_TRIALS = 12
SEED = int(os.environ.get("PUBLISH_CRASH_SEED") or time.time_ns() % 100_000)


def old_files() -> dict[str, str]:
    files = {f"pkg{n % 3}/module_{n}.py": f"VALUE = {n}\n" for n in range(12)}
    files |= {"dag.py": "from .pkg0.module_0 import VALUE\n", "data/rows.csv": "id\n" + "1\n" * 5000}
    return files


def new_files() -> dict[str, str]:
    files = old_files()
    for n in (1, 4, 7):
        files[f"pkg{n % 3}/module_{n}.py"] = f"VALUE = {n * 100}\n"
    for n in (2, 5):
        del files[f"pkg{n % 3}/module_{n}.py"]
    files |= {f"added/extra_{n}.py": f"EXTRA = {n}\n" for n in range(4)}
    files["data/rows.csv"] = "id\n" + "2\n" * 5000
    return files


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("sources")
    older = write_tree(root / "older", {**old_files(), "dag.py": "older = True\n"})
    old = write_tree(root / "old", old_files())
    new = write_tree(root / "new", new_files(), executable=frozenset({"pkg0/module_0.py"}))
    return older, old, new


def prepare_target(target: Path, older: Path, old: Path) -> None:
    """Two releases, `old` live: the next publish also prunes one (KEEP=2)."""
    apply_release(target, build_manifest(older), DirectoryBlobs(older), keep=KEEP)
    apply_release(target, build_manifest(old), DirectoryBlobs(old), keep=KEEP)


def publish_command(source: Path, target: Path) -> list[str]:
    command = [sys.executable, "-m", "dagster_ecs.publish", "publish", str(source), str(target)]
    return [*command, "--repository", "main", "--no-preflight", "--keep", str(KEEP)]


def check_consistent(target: Path, allowed: dict[str, Manifest], context: str) -> str:
    """`current` is one of the allowed manifests exactly, and every release is complete; returns which one."""
    try:
        live = read_release((target / "current").resolve(strict=True))
    except OSError as error:
        pytest.fail(f"{context}: current does not resolve to a release: {error}")
    matches = [name for name, manifest in allowed.items() if live == expected_files(manifest)]
    assert matches, f"{context}: current is neither the old nor the new release"
    for release in releases(target):
        directory = target / "releases" / release
        assert read_release(directory) == expected_files(release_manifest(target, release)), (
            f"{context}: {directory} is incomplete"
        )
    return matches[0]


def checkpoints_of_a_full_run(new: Manifest, pruned: int) -> int:
    """The apply's checkpoints: staging made, one per file, staged, renamed, switched, one per pruned release."""
    return 1 + len(new.files) + 3 + pruned


def test_killed_applies_leave_the_old_or_the_new_release_live(sources: tuple[Path, Path, Path], tmp_path: Path) -> None:
    older, old, new = sources
    old_manifest, new_manifest = build_manifest(old), build_manifest(new)
    allowed = {"old": old_manifest, "new": new_manifest}
    total = checkpoints_of_a_full_run(new_manifest, pruned=1)
    rng = random.Random(SEED)  # noqa: S311 - kill points, not secrets
    # Every checkpoint once, one past the last (the run completes), then random ones up to HOOK_TRIALS.
    kill_points = list(range(1, total + 2))
    kill_points += [rng.randint(1, total + 1) for _ in range(HOOK_TRIALS - len(kill_points))]
    outcomes: dict[str, int] = {"old": 0, "new": 0}

    for trial, kill_at in enumerate(kill_points):
        target = tmp_path / f"hook-{trial}" / "main"
        prepare_target(target, older, old)
        env = {**os.environ, KILL_AT_ENV: str(kill_at), CACHE_ENV: str(tmp_path / "hash-cache")}
        killed = subprocess.run(publish_command(new, target), env=env, capture_output=True, text=True, timeout=60)
        context = f"seed {SEED}, checkpoint {kill_at} of {total}"
        expected_code = -signal.SIGKILL if kill_at <= total else 0
        assert killed.returncode == expected_code, f"{context}: exit {killed.returncode}\n{killed.stderr}"
        outcomes[check_consistent(target, allowed, context)] += 1
        rerun(new, target, allowed, context)

    # Both outcomes happen: kills before the switch keep the old release, kills after it the new one.
    assert outcomes["old"] > 0
    assert outcomes["new"] > 0
    assert sum(outcomes.values()) >= HOOK_TRIALS


def test_applies_killed_at_random_moments_leave_the_old_or_the_new_release_live(
    sources: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    older, old, new = sources
    allowed = {"old": build_manifest(old), "new": build_manifest(new)}
    rng = random.Random(SEED)  # noqa: S311 - kill points, not secrets
    calibration = tmp_path / "calibration" / "main"
    prepare_target(calibration, older, old)
    started = time.monotonic()
    env = {**os.environ, CACHE_ENV: str(tmp_path / "hash-cache")}
    subprocess.run(publish_command(new, calibration), env=env, check=True, capture_output=True, timeout=60)
    duration = time.monotonic() - started

    for trial in range(TIMED_TRIALS):
        target = tmp_path / f"timed-{trial}" / "main"
        prepare_target(target, older, old)
        delay = rng.uniform(0, duration)
        process = subprocess.Popen(
            publish_command(new, target), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        context = f"seed {SEED}, killed after {delay:.3f}s of a {duration:.3f}s run"
        check_consistent(target, allowed, context)
        rerun(new, target, allowed, context)


def rerun(new: Path, target: Path, allowed: dict[str, Manifest], context: str) -> None:
    """One more apply (in this process: it is not the one being killed) completes the publish and leaves
    nothing of the interrupted one behind."""
    apply_release(target, allowed["new"], DirectoryBlobs(new), keep=KEEP)
    assert check_consistent(target, allowed, f"{context}, after re-running") == "new"
    leftovers = [p.name for p in target.iterdir() if p.name.startswith(".staging-")]
    assert leftovers == [], f"{context}: staging left after a complete apply"
