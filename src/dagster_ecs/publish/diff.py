"""What a publish changes: files added, changed (contents or executable bit) and removed, by path."""

from dataclasses import dataclass

from dagster_ecs.publish.manifest import Manifest


@dataclass(frozen=True)
class Changes:
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def to_dict(self) -> dict[str, list[str]]:
        """The JSON shape the CLI prints (`changed_files`, since `changed` there is the overall flag)."""
        return {"added": list(self.added), "changed_files": list(self.changed), "removed": list(self.removed)}


def diff_manifests(old: Manifest | None, new: Manifest) -> Changes:
    """The changes that turn `old` (None: nothing published yet) into `new`."""
    before = old.files if old is not None else {}
    after = new.files
    return Changes(
        added=tuple(sorted(after.keys() - before.keys())),
        changed=tuple(sorted(path for path in after.keys() & before.keys() if after[path] != before[path])),
        removed=tuple(sorted(before.keys() - after.keys())),
    )
