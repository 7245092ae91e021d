"""The content-addressed manifest of a DAG repository: every published file with its sha256, size and mode.

A manifest's digest is the sha256 of its canonical JSON, so two trees with the same files, contents and
executable bits have the same digest wherever they were built. Paths in a manifest are validated when it is
built or read: a manifest fetched from S3 must not be able to write outside its release directory.
"""

import contextlib
import hashlib
import json
import os
import re
import stat
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dagster_ecs.publish.errors import ManifestError
from dagster_ecs.publish.hash_cache import HashCache
from dagster_ecs.publish.ignore import is_excluded, load_ignore_rules

MANIFEST_VERSION = 1
CHUNK_SIZE = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


def check_relative_path(path: str) -> str:
    """`path` if it is a safe release-relative POSIX path; dot-names are the release layout's own."""
    parts = path.split("/")
    if not path or "\0" in path or "\\" in path or any(not part or part.startswith(".") for part in parts):
        raise ManifestError(
            f"{path!r} is not a publishable path: it must be relative, use '/', and have no empty, '.', '..' "
            "or dot-prefixed parts"
        )
    return path


@dataclass(frozen=True)
class FileEntry:
    path: str
    sha256: str
    size: int
    executable: bool

    def __post_init__(self) -> None:
        check_relative_path(self.path)
        if not isinstance(self.sha256, str) or not _SHA256.fullmatch(self.sha256):
            raise ManifestError(f"{self.path}: sha256 {self.sha256!r} is not 64 lowercase hex digits")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise ManifestError(f"{self.path}: size {self.size!r} is not a non-negative integer")
        if not isinstance(self.executable, bool):
            raise ManifestError(f"{self.path}: executable {self.executable!r} is not a boolean")

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "size": self.size, "executable": self.executable}


class Manifest:
    """An immutable set of FileEntry by path; equal manifests have equal digests."""

    __slots__ = ("_digest", "_files", "_json")

    def __init__(self, entries: Iterable[FileEntry]) -> None:
        files: dict[str, FileEntry] = {}
        for entry in sorted(entries, key=lambda e: e.path):
            if entry.path in files:
                raise ManifestError(f"{entry.path}: listed twice in the manifest")
            files[entry.path] = entry
        directories = {path.rsplit("/", i)[0] for path in files for i in range(1, path.count("/") + 1)}
        clashes = sorted(directories & files.keys())
        if clashes:
            raise ManifestError(f"{clashes[0]}: listed both as a file and as a directory")
        self._files: Mapping[str, FileEntry] = MappingProxyType(files)
        document = {"version": MANIFEST_VERSION, "files": [entry.to_dict() for entry in files.values()]}
        self._json = json.dumps(document, sort_keys=True, separators=(",", ":"))
        self._digest = hashlib.sha256(self._json.encode()).hexdigest()

    @property
    def files(self) -> Mapping[str, FileEntry]:
        return self._files

    @property
    def digest(self) -> str:
        return self._digest

    @property
    def total_size(self) -> int:
        return sum(entry.size for entry in self._files.values())

    def to_json(self) -> str:
        """The canonical JSON (sorted keys, no whitespace) whose sha256 is the digest."""
        return self._json

    @classmethod
    def from_json(cls, text: str | bytes) -> "Manifest":
        try:
            document = json.loads(text)
            if not isinstance(document, dict) or document.get("version") != MANIFEST_VERSION:
                raise ManifestError(f"not a version {MANIFEST_VERSION} manifest")
            files = document["files"]
            if not isinstance(files, list):
                raise ManifestError("'files' is not a list")
            entries = [
                FileEntry(path=f["path"], sha256=f["sha256"], size=f["size"], executable=f["executable"]) for f in files
            ]
        except (ValueError, KeyError, TypeError) as error:
            raise ManifestError(f"malformed manifest: {type(error).__name__}: {error}") from None
        return cls(entries)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Manifest) and other._digest == self._digest

    def __hash__(self) -> int:
        return hash(self._digest)

    def __repr__(self) -> str:
        return f"Manifest({len(self._files)} files, digest={self._digest[:12]})"


def published_files(source: Path) -> Iterator[tuple[str, str]]:
    """(relative path, file path) of every file `source` publishes, in a stable order.

    A symlink is published as the file it points to, but only when that file is inside `source`: publishing
    must not pick up files from elsewhere on the operator's machine. Paths are plain strings: this walk is
    most of a no-op publish, and pathlib objects cost more than the hashing.
    """
    if not source.is_dir():
        raise ManifestError(f"{source} is not a directory")
    root = source.resolve()
    rules = load_ignore_rules(source)
    pending = [("", os.fspath(source))]
    while pending:
        prefix, directory = pending.pop()
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda e: e.name, reverse=True)
        for entry in entries:
            relative = f"{prefix}{entry.name}"
            is_dir = entry.is_dir(follow_symlinks=False)
            if is_excluded(f"{relative}/" if is_dir else relative, rules):
                continue
            if is_dir:
                pending.append((f"{relative}/", entry.path))
            elif entry.is_symlink():
                yield check_relative_path(relative), _checked_symlink(Path(entry.path), root)
            elif entry.is_file(follow_symlinks=False):
                yield check_relative_path(relative), entry.path
            else:
                raise ManifestError(f"{entry.path}: not a regular file (a socket, FIFO or device cannot be published)")


def _checked_symlink(path: Path, root: Path) -> str:
    resolved = path.resolve()
    if not resolved.is_relative_to(root) or not resolved.is_file():
        raise ManifestError(
            f"{path}: symlink to {resolved}, which is not a file inside {root}; copy the file into the repository "
            "or list it in .dagsterignore"
        )
    return os.fspath(path)


def file_entry(relative: str, path: str, cache: HashCache | None = None) -> FileEntry:
    """The entry of one file: its sha256 (remembered, or read), size and executable bit."""
    if cache is not None:
        status = os.stat(path)
        sha256 = cache.lookup(relative, status)
        if sha256 is not None:
            return FileEntry(relative, sha256, status.st_size, bool(status.st_mode & stat.S_IXUSR))
    with open(path, "rb") as stream:
        status = os.fstat(stream.fileno())  # before reading: a write during the read changes it for next time
        sha256 = hashlib.file_digest(stream, "sha256").hexdigest()
        size = stream.tell()
    if cache is not None:
        cache.remember(relative, status, sha256)
    return FileEntry(relative, sha256, size, bool(status.st_mode & stat.S_IXUSR))


def build_manifest(source: Path, *, cache: HashCache | None = None) -> Manifest:
    """The manifest of `source` as it would be published (excludes and `.dagsterignore` applied).

    With a `cache` (hash_cache.HashCache), files unchanged since they were last hashed are not read again.
    """
    manifest = Manifest(file_entry(relative, path, cache) for relative, path in published_files(source))
    if cache is not None:
        with contextlib.suppress(OSError):  # an unwritable cache only costs speed next time
            cache.save()
    return manifest
