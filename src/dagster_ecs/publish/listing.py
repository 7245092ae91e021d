"""`dagster-ecs releases`: a repository's releases as a table a person reads (the JSON form is the publish CLI's)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dagster_ecs.publish.release import TIME_FORMAT, live_release, release_manifest, releases


@dataclass(frozen=True)
class ReleaseRow:
    release: str
    published: datetime
    files: int
    live: bool


def release_rows(target: Path) -> list[ReleaseRow]:
    """Every release of `target`, oldest first; the publish time is the one encoded in the release id."""
    live = live_release(target)
    return [
        ReleaseRow(
            release=release,
            published=datetime.strptime(release.split("-")[0], TIME_FORMAT).replace(tzinfo=UTC),
            files=len(release_manifest(target, release).files),
            live=release == live,
        )
        for release in releases(target)
    ]


def format_releases(target: Path, rows: list[ReleaseRow]) -> str:
    """The table, or a sentence saying nothing is published."""
    if not rows:
        return f"nothing is published in {target}\n"
    table = [("RELEASE", "PUBLISHED (UTC)", "FILES", "LIVE")]
    table += [
        (row.release, row.published.strftime("%Y-%m-%d %H:%M:%S"), str(row.files), "live" if row.live else "")
        for row in rows
    ]
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip() for line in table]
    return "\n".join(lines) + "\n"
