"""Diffing manifests: what a publish would add, change and remove."""

import hashlib

from dagster_ecs.publish.diff import Changes, diff_manifests
from dagster_ecs.publish.manifest import FileEntry, Manifest


def entry(path: str, content: str, executable: bool = False) -> FileEntry:
    data = content.encode()
    return FileEntry(path, hashlib.sha256(data).hexdigest(), len(data), executable)


def test_nothing_published_yet_means_everything_is_added() -> None:
    new = Manifest([entry("b.py", "b"), entry("a.py", "a")])
    assert diff_manifests(None, new) == Changes(added=("a.py", "b.py"))


def test_added_changed_and_removed_paths_are_sorted_apart() -> None:
    old = Manifest([entry("same.py", "s"), entry("edit.py", "1"), entry("gone.py", "g"), entry("run.sh", "r")])
    new = Manifest([entry("same.py", "s"), entry("edit.py", "2"), entry("new/b.py", "n"), entry("run.sh", "r", True)])
    changes = diff_manifests(old, new)
    assert changes == Changes(added=("new/b.py",), changed=("edit.py", "run.sh"), removed=("gone.py",))
    assert not changes.empty
    assert changes.to_dict() == {"added": ["new/b.py"], "changed_files": ["edit.py", "run.sh"], "removed": ["gone.py"]}


def test_equal_manifests_have_no_changes() -> None:
    manifest = Manifest([entry("a.py", "a")])
    assert diff_manifests(manifest, Manifest([entry("a.py", "a")])).empty
    assert diff_manifests(Manifest([]), Manifest([])).empty
