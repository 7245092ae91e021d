"""Small DAG-repository trees for the publish tests, and an independent reading of what a release holds."""

import hashlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.manifest import FileEntry, Manifest

# Files the release layout adds next to a manifest's files.
RELEASE_RECORDS = frozenset({".manifest.json", ".release.json"})


def write_tree(root: Path, files: Mapping[str, str | bytes], executable: frozenset[str] = frozenset()) -> Path:
    """Create `root` holding exactly `files` (path -> content), `executable` ones with mode 0755."""
    root.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        path.chmod(0o755 if relative in executable else 0o644)
    return root


def read_release(directory: Path) -> dict[str, tuple[str, bool]]:
    """Every file under `directory` but the release records: path -> (sha256, executable), read from disk."""
    found = {}
    for dirpath, _, filenames in os.walk(directory):
        for name in filenames:
            path = Path(dirpath, name)
            relative = path.relative_to(directory).as_posix()
            if relative in RELEASE_RECORDS:
                continue
            executable = bool(path.stat().st_mode & stat.S_IXUSR)
            found[relative] = (hashlib.sha256(path.read_bytes()).hexdigest(), executable)
    return found


def expected_files(manifest: Manifest) -> dict[str, tuple[str, bool]]:
    return {path: (entry.sha256, entry.executable) for path, entry in manifest.files.items()}


class CountingBlobs(DirectoryBlobs):
    """Blobs from a directory, remembering which paths were opened (what was transferred)."""

    def __init__(self, source: Path) -> None:
        super().__init__(source)
        self.opened: list[str] = []

    def open(self, entry: FileEntry) -> BinaryIO:
        self.opened.append(entry.path)
        return super().open(entry)
