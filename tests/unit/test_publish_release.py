"""Releases in a target directory: assembling, the atomic switch, reuse of unchanged files, pruning, rollback."""

import os
import threading
from pathlib import Path

import pytest

from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.errors import IntegrityError, LockTimeoutError, PublishError
from dagster_ecs.publish.lock import repository_lock
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import (
    ApplyResult,
    apply_release,
    live_manifest,
    live_release,
    releases,
    rollback,
    verify_release,
)
from tests.support.publish_trees import CountingBlobs, expected_files, read_release, write_tree

FILES = {
    "dag.py": "from ._helpers import VALUE\n",
    "_helpers.py": "VALUE = 1\n",
    "data/big.csv": "id,value\n" + "1,a\n" * 1000,
    "data/small.csv": "id\n1\n",
    "bin/run.sh": "#!/bin/sh\necho run\n",
}
EXECUTABLE = frozenset({"bin/run.sh"})


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "source", FILES, EXECUTABLE)


@pytest.fixture
def target(tmp_path: Path) -> Path:
    return tmp_path / "efs" / "main"


def publish(source: Path, target: Path, keep: int = 5) -> tuple[ApplyResult, CountingBlobs]:
    blobs = CountingBlobs(source)
    return apply_release(target, build_manifest(source), blobs, keep=keep), blobs


def live_files(target: Path) -> dict[str, tuple[str, bool]]:
    return read_release((target / "current").resolve())


def test_the_first_publish_makes_a_complete_release_live(source: Path, target: Path) -> None:
    result, blobs = publish(source, target)
    manifest = build_manifest(source)
    assert result.changed
    assert result.previous is None
    assert result.changes.added == tuple(sorted(FILES))
    assert sorted(blobs.opened) == sorted(FILES)
    assert os.readlink(target / "current") == f"releases/{result.release}"  # relative: valid on any mount point
    assert result.release.endswith(f"-{manifest.digest[:12]}")
    assert releases(target) == [result.release]
    assert live_files(target) == expected_files(manifest)
    assert live_manifest(target) == manifest
    release_dir = target / "releases" / result.release
    assert (release_dir / "bin" / "run.sh").stat().st_mode & 0o777 == 0o555
    assert (release_dir / "dag.py").stat().st_mode & 0o777 == 0o444, "releases are read-only"
    assert not [p for p in target.iterdir() if p.name.startswith(".staging-")]


def test_only_changed_content_is_transferred_and_the_rest_is_linked(source: Path, target: Path) -> None:
    first, _ = publish(source, target)
    old_manifest = build_manifest(source)
    (source / "_helpers.py").write_text("VALUE = 2\n")
    (source / "data" / "small.csv").rename(source / "data" / "moved.csv")
    (source / "extra.txt").write_text("new\n")
    (source / "data" / "big.csv").unlink()

    second, blobs = publish(source, target)
    assert second.changed
    assert second.previous == first.release
    assert (second.changes.added, second.changes.changed, second.changes.removed) == (
        ("data/moved.csv", "extra.txt"),
        ("_helpers.py",),
        ("data/big.csv", "data/small.csv"),
    )
    # The moved file's content is already on the target: only new content is read from the source.
    assert sorted(blobs.opened) == ["_helpers.py", "extra.txt"]
    assert second.transferred == ("_helpers.py", "extra.txt")
    assert live_files(target) == expected_files(build_manifest(source))
    old_dir, new_dir = target / "releases" / first.release, target / "releases" / second.release
    assert (new_dir / "dag.py").stat().st_ino == (old_dir / "dag.py").stat().st_ino, "unchanged file not reused"
    assert read_release(old_dir) == expected_files(old_manifest), "the previous release must stay as it was"


def test_a_mode_change_does_not_touch_the_previous_release(source: Path, target: Path) -> None:
    first, _ = publish(source, target)
    (source / "bin" / "run.sh").chmod(0o644)
    second, blobs = publish(source, target)
    assert second.changes.changed == ("bin/run.sh",)
    assert blobs.opened == [], "same content: copied on the target side"
    assert (target / "current" / "bin" / "run.sh").stat().st_mode & 0o777 == 0o444
    assert (target / "releases" / first.release / "bin" / "run.sh").stat().st_mode & 0o777 == 0o555


def test_publishing_the_live_manifest_changes_nothing(source: Path, target: Path) -> None:
    first, _ = publish(source, target)
    before = sorted(p.relative_to(target).as_posix() for p in target.rglob("*"))
    again, blobs = publish(source, target)
    assert not again.changed
    assert again.release == again.previous == first.release
    assert again.changes.empty
    assert blobs.opened == []
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == before


def test_the_last_n_releases_are_kept(source: Path, target: Path) -> None:
    made = []
    for number in range(6):
        (source / "_helpers.py").write_text(f"VALUE = {number}\n")
        made.append(publish(source, target, keep=3)[0].release)
    assert releases(target) == made[-3:]
    assert live_release(target) == made[-1]
    assert live_files(target) == expected_files(build_manifest(source))


def test_the_live_release_and_the_one_before_it_are_never_pruned(source: Path, target: Path) -> None:
    def publish_value(value: int) -> str:
        (source / "_helpers.py").write_text(f"VALUE = {value}\n")
        return publish(source, target, keep=1)[0].release

    a = publish_value(1)
    b = publish_value(2)
    assert releases(target) == [a, b], "keep=1 still keeps the predecessor of the live release"
    c = publish_value(3)
    assert releases(target) == [b, c]
    assert rollback(target).release == b
    d = publish_value(4)
    # b was live before d, so it stays; c (newer than b, but never live before d) goes.
    assert releases(target) == [b, d]


def test_rollback_returns_to_the_release_live_before(source: Path, target: Path) -> None:
    first, _ = publish(source, target)
    v1 = build_manifest(source)
    (source / "dag.py").write_text("broken = True\n")
    second, _ = publish(source, target)

    back = rollback(target)
    assert back.changed
    assert (back.release, back.previous) == (first.release, second.release)
    assert back.changes.changed == ("dag.py",)
    assert live_manifest(target) == v1
    assert live_files(target) == expected_files(v1)
    assert releases(target) == [first.release, second.release], "a rollback deletes nothing"

    (source / "dag.py").write_text("fixed = True\n")
    third, _ = publish(source, target)
    assert third.previous == first.release
    # Back to what was live before the third release: the first, not the broken second.
    assert rollback(target).release == first.release


def test_rollback_without_an_earlier_release_is_an_error(source: Path, target: Path) -> None:
    with pytest.raises(PublishError, match="nothing is published"):
        rollback(target)
    publish(source, target)
    with pytest.raises(PublishError, match="is the first one"):
        rollback(target)


def test_stale_staging_from_a_crash_is_removed_by_the_next_publish(source: Path, target: Path) -> None:
    publish(source, target)
    stale = write_tree(target / ".staging-20260101T000000000000Z-abc-1234", {"half/written.py": "x"})
    (stale / "half").chmod(0o555)
    (target / ".staging-current-5678").symlink_to("releases/nowhere")
    again, _ = publish(source, target)
    assert not again.changed
    assert not [p for p in target.iterdir() if p.name.startswith(".staging-")]


def test_content_that_does_not_match_the_manifest_is_never_made_live(source: Path, target: Path) -> None:
    first, _ = publish(source, target)
    (source / "_helpers.py").write_text("VALUE = 2\n")
    manifest = build_manifest(source)
    (source / "_helpers.py").write_text("VALUE = 3  # changed after hashing\n")
    with pytest.raises(IntegrityError, match=r"_helpers\.py: content has sha256"):
        apply_release(target, manifest, DirectoryBlobs(source))
    assert live_release(target) == first.release
    assert releases(target) == [first.release]
    assert not [p for p in target.iterdir() if p.name.startswith(".staging-")]


def test_a_held_lock_times_out_naming_the_holder(source: Path, target: Path) -> None:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with repository_lock(target, timeout=5):
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        with pytest.raises(LockTimeoutError, match=rf"held by .*\"pid\": {os.getpid()}"):
            apply_release(target, build_manifest(source), DirectoryBlobs(source), lock_timeout=0.2)
        assert live_release(target) is None
    finally:
        release.set()
        holder.join()
    assert publish(source, target)[0].changed, "the lock is free again once its holder is done"


def test_verify_finds_a_release_that_was_tampered_with(source: Path, target: Path) -> None:
    result, _ = publish(source, target)
    assert verify_release(target) == build_manifest(source)
    tampered = target / "releases" / result.release / "dag.py"
    tampered.chmod(0o644)
    tampered.write_text("evil = True\n")
    with pytest.raises(IntegrityError, match=r"does not match its manifest.*dag\.py"):
        verify_release(target)


def test_a_current_that_is_not_a_release_link_is_refused(source: Path, target: Path) -> None:
    (target / "current").mkdir(parents=True)
    with pytest.raises(PublishError, match="is not a symlink"):
        publish(source, target)
    (target / "current").rmdir()
    (target / "current").symlink_to("/etc")
    with pytest.raises(PublishError, match="not to releases/<release>"):
        publish(source, target)


def test_keep_must_keep_the_live_release(source: Path, target: Path) -> None:
    with pytest.raises(PublishError, match="keep >= 1"):
        publish(source, target, keep=0)
