"""Remembered sha256 of a source tree's files, so building the manifest of a mostly unchanged tree reads only
what changed (the idea of git's index and of rsync's quick check).

A file's remembered hash is used only while its device, inode, size, mtime and ctime are all as they were when
it was hashed. ctime cannot be set from user space, so restoring an old mtime does not fool it; and a hash
taken within RACY_SECONDS of the file's last change is not trusted, because a second write inside the same
timestamp tick would leave every stat field as it was.

The cache lives outside the repository, in `$DAGSTER_ECS_PUBLISH_CACHE` or `$XDG_CACHE_HOME/dagster-ecs/publish`
(default `~/.cache/...`), one file per source directory; losing it costs one full hashing, nothing else.
"""

import hashlib
import json
import os
import tempfile
import time
from pathlib import Path

CACHE_ENV = "DAGSTER_ECS_PUBLISH_CACHE"
CACHE_VERSION = 1
RACY_SECONDS = 2

_Key = tuple[int, int, int, int, int]


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dagster-ecs" / "publish"


class HashCache:
    """sha256 by relative path for one source directory, loaded from and saved to one JSON file."""

    def __init__(self, source: Path, directory: Path | None = None) -> None:
        name = hashlib.sha256(os.fsencode(source.resolve())).hexdigest()[:32]
        self.path = (directory or default_cache_dir()) / f"{name}.json"
        self._old = self._load()
        self._new: dict[str, list[object]] = {}
        self.hits = 0

    def lookup(self, relative: str, status: os.stat_result) -> str | None:
        """The remembered sha256 of `relative`, if the file is provably unchanged since it was hashed."""
        remembered = self._old.get(relative)
        try:
            if remembered is None or remembered[0] != list(_key(status)):
                return None
            sha256 = str(remembered[1])
        except (TypeError, IndexError, KeyError):  # a damaged cache file is a miss, not an error
            return None
        self._new[relative] = remembered
        self.hits += 1
        return sha256

    def remember(self, relative: str, status: os.stat_result, sha256: str) -> None:
        changed_ns = max(status.st_mtime_ns, status.st_ctime_ns)
        if time.time_ns() - changed_ns > RACY_SECONDS * 1_000_000_000:
            self._new[relative] = [list(_key(status)), sha256]

    def save(self) -> None:
        """Replace the cache file with this build's entries (files that are gone are forgotten)."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        document = json.dumps({"version": CACHE_VERSION, "entries": self._new}, separators=(",", ":"))
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w") as stream:
                stream.write(document)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _load(self) -> dict[str, list[object]]:
        try:
            document = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(document, dict) or document.get("version") != CACHE_VERSION:
            return {}
        entries = document.get("entries")
        return entries if isinstance(entries, dict) else {}


def _key(status: os.stat_result) -> _Key:
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
