"""Releases of one repository in its target directory, and the atomic switch between them.

    <target>/releases/<release_id>/...   complete, immutable releases (files, `.manifest.json`, `.release.json`)
    <target>/current -> releases/<id>    relative symlink, replaced by rename(2): readers see old or new, never a mix
    <target>/.lock                       flock serialising publishes and rollbacks (lock.py)
    <target>/.staging-*                  a release being assembled; whatever a crash leaves is removed under the lock

A release is assembled completely before anything points at it: files whose content the live release already
has are hard-linked (or copied, target side) from it, only new content is read from the blob source and
checked against its sha256, everything is fsynced, and only then is the directory renamed into `releases/`
and `current` switched. Each release records the release that was live before it (`.release.json`), so a
rollback returns to what was actually served before, even after earlier rollbacks.
"""

import errno
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dagster_ecs.publish.blobs import BlobSource
from dagster_ecs.publish.diff import Changes, diff_manifests
from dagster_ecs.publish.errors import IntegrityError, PublishError
from dagster_ecs.publish.lock import repository_lock
from dagster_ecs.publish.manifest import CHUNK_SIZE, FileEntry, Manifest

__all__ = [
    "ApplyResult",
    "IntegrityError",
    "PublishError",
    "apply_release",
    "live_manifest",
    "live_release",
    "pending_changes",
    "predecessor",
    "release_manifest",
    "releases",
    "rollback",
    "verify_release",
]

RELEASES_DIR = "releases"
CURRENT = "current"
MANIFEST_FILE = ".manifest.json"
RELEASE_FILE = ".release.json"
STAGING_PREFIX = ".staging-"
TIME_FORMAT = "%Y%m%dT%H%M%S%fZ"
RELEASE_ID = re.compile(r"(\d{8}T\d{12}Z)-([0-9a-f]{12})")
FILE_MODE = 0o444  # releases are immutable: hard links share the inode with older releases
EXECUTABLE_MODE = 0o555
DIRECTORY_MODE = 0o755
FSYNC_THREADS = 32

# Crash-consistency tests set this to N to SIGKILL the applying process at its Nth checkpoint. Unset (always,
# outside those tests) it is never read again and the checkpoints do nothing.
KILL_AT_ENV = "DAGSTER_ECS_PUBLISH_TEST_KILL_AT"
_KILL_AT = int(os.environ.get(KILL_AT_ENV) or 0)
_checkpoints = itertools.count(1)


@dataclass(frozen=True)
class ApplyResult:
    """`release` is live now; `previous` was live before this call (equal to `release` when nothing changed)."""

    changed: bool
    release: str
    previous: str | None
    changes: Changes
    transferred: tuple[str, ...] = field(default=())  # paths whose content was read from the blob source

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "release": self.release,
            "previous": self.previous,
            **self.changes.to_dict(),
            "transferred": list(self.transferred),
        }


def releases(target: Path) -> list[str]:
    """Every release in `target`, oldest first (release ids sort by creation time)."""
    directory = target / RELEASES_DIR
    if not directory.is_dir():
        return []
    return sorted(entry.name for entry in directory.iterdir() if RELEASE_ID.fullmatch(entry.name))


def live_release(target: Path) -> str | None:
    """The release `current` points to, or None when nothing was published yet."""
    link = target / CURRENT
    try:
        value = os.readlink(link)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.EINVAL:
            raise PublishError(f"{link} is not a symlink; move it away, then publish again") from None
        raise
    head, _, release = value.partition("/")
    if head != RELEASES_DIR or not RELEASE_ID.fullmatch(release):
        raise PublishError(f"{link} points to {value!r}, not to {RELEASES_DIR}/<release>; fix or remove the link")
    if not (target / RELEASES_DIR / release).is_dir():
        raise PublishError(f"{link} points to {value!r}, which does not exist; remove the link, then publish again")
    return release


def release_manifest(target: Path, release: str) -> Manifest:
    return Manifest.from_json((target / RELEASES_DIR / release / MANIFEST_FILE).read_text(encoding="utf-8"))


def live_manifest(target: Path) -> Manifest | None:
    """The manifest of the live release, or None when nothing was published yet."""
    release = live_release(target)
    return None if release is None else release_manifest(target, release)


def predecessor(target: Path, release: str) -> str | None:
    """The release that was live when `release` was published (None for the first one)."""
    try:
        record = json.loads((target / RELEASES_DIR / release / RELEASE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    previous = record.get("previous")
    return previous if isinstance(previous, str) and RELEASE_ID.fullmatch(previous) else None


def pending_changes(target: Path, manifest: Manifest) -> Changes:
    """What applying `manifest` would change, without taking the lock or writing anything (check mode)."""
    return diff_manifests(live_manifest(target), manifest)


def apply_release(
    target: Path, manifest: Manifest, blobs: BlobSource, *, keep: int = 5, lock_timeout: float = 600.0
) -> ApplyResult:
    """Make `manifest` the live release of `target`, reading new content from `blobs`; keep `keep` releases.

    A manifest equal to the live one changes nothing. The live release and the one before it are never pruned.
    """
    if keep < 1:
        raise PublishError(f"keep={keep}: at least the live release must be kept (keep >= 1)")
    with repository_lock(target, lock_timeout):
        _remove_stale_staging(target)
        live = live_release(target)
        old = None if live is None else release_manifest(target, live)
        changes = diff_manifests(old, manifest)
        if live is not None and old == manifest:
            return ApplyResult(changed=False, release=live, previous=live, changes=changes)
        release = _new_release_id(target, manifest)
        staging = target / f"{STAGING_PREFIX}{release}-{secrets.token_hex(4)}"
        try:
            transferred = _stage(staging, release, manifest, target, live, old, blobs)
        except BaseException:
            # A failed publish leaves nothing behind (a killed one leaves staging to the next publish's cleanup).
            shutil.rmtree(staging, ignore_errors=True)
            raise
        (target / RELEASES_DIR).mkdir(mode=DIRECTORY_MODE, exist_ok=True)
        os.rename(staging, target / RELEASES_DIR / release)
        _fsync_directory(target / RELEASES_DIR)
        _checkpoint()
        _switch_current(target, release)
        _checkpoint()
        _prune(target, keep, release)
        return ApplyResult(changed=True, release=release, previous=live, changes=changes, transferred=transferred)


def rollback(target: Path, *, lock_timeout: float = 600.0) -> ApplyResult:
    """Switch `current` back to the release that was live before the live one; PublishError if there is none."""
    with repository_lock(target, lock_timeout):
        _remove_stale_staging(target)
        live = live_release(target)
        if live is None:
            raise PublishError(f"{target}: nothing is published, so there is nothing to roll back")
        before = predecessor(target, live)
        if before is None:
            raise PublishError(
                f"{target}: release {live} is the first one; there is no earlier release to roll back to"
            )
        if not (target / RELEASES_DIR / before).is_dir():
            raise PublishError(f"{target}: release {before}, live before {live}, was pruned; publish it again instead")
        changes = diff_manifests(release_manifest(target, live), release_manifest(target, before))
        _switch_current(target, before)
        return ApplyResult(changed=True, release=before, previous=live, changes=changes)


def verify_release(target: Path, release: str | None = None) -> Manifest:
    """Check that a release (default: the live one) holds exactly the files of its manifest; return the manifest."""
    release = release or live_release(target)
    if release is None:
        raise PublishError(f"{target}: nothing is published")
    directory = target / RELEASES_DIR / release
    manifest = release_manifest(target, release)
    found = {}
    for path in directory.rglob("*"):
        relative = path.relative_to(directory).as_posix()
        if path.is_dir() or relative in (MANIFEST_FILE, RELEASE_FILE):
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        found[relative] = FileEntry(relative, digest, path.stat().st_size, bool(path.stat().st_mode & stat.S_IXUSR))
    if found != dict(manifest.files):
        changes = diff_manifests(manifest, Manifest(found.values()))
        raise IntegrityError(f"{directory} does not match its manifest: {changes}")
    return manifest


# --- assembling ----------------------------------------------------------------------------------------------


def _stage(
    staging: Path,
    release: str,
    manifest: Manifest,
    target: Path,
    live: str | None,
    old: Manifest | None,
    blobs: BlobSource,
) -> tuple[str, ...]:
    """Build the complete release in `staging`, durably; returns the paths read from `blobs`."""
    staging.mkdir(mode=DIRECTORY_MODE)
    _checkpoint()
    live_dir = None if live is None else target / RELEASES_DIR / live
    transferred, written, directories = _assemble(staging, manifest, live_dir, old, blobs)
    records = [(staging / MANIFEST_FILE, manifest.to_json())]
    records.append((staging / RELEASE_FILE, json.dumps({"release": release, "previous": live}, sort_keys=True)))
    for path, text in records:
        _write_record(path, text)
        written.append(os.fspath(path))
    # Every written file and every directory (whose entries include the hard links) is on disk before the
    # release is renamed into place; all at once, so the file system can commit them together.
    _fsync_all([*written, *directories])
    _checkpoint()
    return transferred


def _assemble(
    staging: Path, manifest: Manifest, live_dir: Path | None, live: Manifest | None, blobs: BlobSource
) -> tuple[tuple[str, ...], list[str], set[str]]:
    """Fill `staging` with `manifest`'s files. Returns the paths whose content came from `blobs`, the files
    written (not linked), and the directories made. Paths are plain strings: this loop runs once per file."""
    same_file: dict[tuple[str, bool], str] = {}
    same_content: dict[str, str] = {}
    for entry in live.files.values() if live is not None else ():
        same_file.setdefault((entry.sha256, entry.executable), entry.path)
        same_content.setdefault(entry.sha256, entry.path)
    root, old = os.fspath(staging), os.fspath(live_dir) if live_dir is not None else ""
    transferred, written = [], []
    made = {root}
    for entry in manifest.files.values():
        destination = f"{root}/{entry.path}"
        _make_parents(destination.rpartition("/")[0], made)
        if old and (entry.sha256, entry.executable) in same_file:
            if not _link_or_copy(f"{old}/{same_file[entry.sha256, entry.executable]}", destination, entry):
                written.append(destination)
        elif old and entry.sha256 in same_content:
            # Same content, other executable bit: a link would change the mode of the live release's file too.
            _copy_verified(f"{old}/{same_content[entry.sha256]}", destination, entry)
            written.append(destination)
        else:
            with blobs.open(entry) as stream:
                _write_verified(stream, destination, entry)
            transferred.append(entry.path)
            written.append(destination)
        _checkpoint()
    return tuple(transferred), written, made


def _make_parents(directory: str, made: set[str]) -> None:
    if directory in made:
        return
    _make_parents(directory.rpartition("/")[0], made)
    os.mkdir(directory, DIRECTORY_MODE)
    made.add(directory)


def _link_or_copy(existing: str, destination: str, entry: FileEntry) -> bool:
    """Hard-link `existing` to `destination`, else copy it; True when linked."""
    try:
        os.link(existing, destination)
    except OSError as error:
        # EXDEV/EPERM/EMLINK/ENOTSUP: a file system (or a full link count) that cannot link; copy on the target.
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
        _copy_verified(existing, destination, entry)
        return False
    return True


def _copy_verified(existing: str, destination: str, entry: FileEntry) -> None:
    with open(existing, "rb") as stream:
        _write_verified(stream, destination, entry)


def _write_verified(stream: Any, destination: str, entry: FileEntry) -> None:
    """Write `stream` to a new read-only file, failing unless its sha256 and size are the entry's."""
    digest = hashlib.sha256()
    size = 0
    fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
            size += len(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.write(fd, view) :]
        if digest.hexdigest() != entry.sha256 or size != entry.size:
            raise IntegrityError(
                f"{entry.path}: content has sha256 {digest.hexdigest()} ({size} bytes), the manifest says "
                f"{entry.sha256} ({entry.size} bytes); the file changed while publishing, publish again"
            )
        os.fchmod(fd, EXECUTABLE_MODE if entry.executable else FILE_MODE)
    finally:
        os.close(fd)


def _write_record(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _new_release_id(target: Path, manifest: Manifest) -> str:
    """A time-sorted id, later than every existing release even if this host's clock is behind another's."""
    now = datetime.now(UTC)
    existing = releases(target)
    if existing:
        latest = datetime.strptime(existing[-1].split("-")[0], TIME_FORMAT).replace(tzinfo=UTC)
        now = max(now, latest + timedelta(microseconds=1))
    return f"{now.strftime(TIME_FORMAT)}-{manifest.digest[:12]}"


# --- switching and pruning -----------------------------------------------------------------------------------


def _switch_current(target: Path, release: str) -> None:
    """Point `current` at `release` with one rename: a reader resolves either the old or the new release."""
    temporary = target / f"{STAGING_PREFIX}current-{secrets.token_hex(4)}"
    os.symlink(f"{RELEASES_DIR}/{release}", temporary)
    os.replace(temporary, target / CURRENT)
    _fsync_directory(target)


def _prune(target: Path, keep: int, live: str) -> None:
    """Remove all but the newest `keep` releases, never the live one or the one live before it."""
    existing = releases(target)
    protected = {live, predecessor(target, live), *existing[-keep:]}
    for release in existing:
        if release in protected:
            continue
        # Renamed out of releases/ first: a crash mid-removal leaves a staging leftover, never a partial release.
        doomed = target / f"{STAGING_PREFIX}pruned-{release}"
        os.rename(target / RELEASES_DIR / release, doomed)
        _checkpoint()
        shutil.rmtree(doomed)
    _fsync_directory(target / RELEASES_DIR)


def _remove_stale_staging(target: Path) -> None:
    """Remove what an interrupted publish left (called with the lock held, so nobody is still writing it)."""
    for entry in target.iterdir():
        if not entry.name.startswith(STAGING_PREFIX):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


# --- durability ----------------------------------------------------------------------------------------------


def _fsync_all(paths: list[str]) -> None:
    """fsync many files and directories concurrently: each fsync waits for a journal commit, and concurrent
    ones share commits, so a thousand take about as long as a few."""
    with ThreadPoolExecutor(max_workers=min(FSYNC_THREADS, len(paths) or 1)) as pool:
        list(pool.map(_fsync_path, paths))


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_directory(directory: Path | str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _checkpoint() -> None:
    if _KILL_AT and next(_checkpoints) >= _KILL_AT:
        os.kill(os.getpid(), signal.SIGKILL)
