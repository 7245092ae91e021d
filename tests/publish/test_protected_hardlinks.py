"""Under fs.protected_hardlinks (Linux's default, and EFS clients' too) a user may hard-link only files it owns
(or can read and write; release files are read-only). The publisher reuses the live release's unchanged files
by hard-linking them, so it must run as the user that owns them: the EFS access point enforces the image's
user (10001) for the publisher task and the code servers alike. Run as real, unprivileged users (needs root to
switch to them)."""

import os
import shutil
import tempfile
import traceback
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import apply_release
from tests.support.publish_trees import write_tree

IMAGE_USER = 10001  # docker/Dockerfile and roles/efs efs_posix_uid
OTHER_USER = 1000  # the access points' user before issue 9

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or Path("/proc/sys/fs/protected_hardlinks").read_text().strip() != "1",
    reason="needs root (to run as other users) and fs.protected_hardlinks=1",
)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: its parents are private to root, and the publishers run as other users.
    directory = Path(tempfile.mkdtemp(prefix="hardlinks-", dir="/tmp"))
    directory.chmod(0o777)
    try:
        yield directory
    finally:
        shutil.rmtree(directory)


def publish_as(uid: int, source: Path, target: Path) -> None:
    """Publish in a forked child whose effective user is `uid` (this interpreter's files are root's only, so a
    fresh process of another user could not start it)."""
    datetime.strptime("2026", "%Y")  # imports _strptime while root may still read the interpreter's files
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.setgroups([])
            os.setegid(uid)
            os.seteuid(uid)
            apply_release(target, build_manifest(source), DirectoryBlobs(source))
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, f"the publish as uid {uid} failed"


def two_releases(uid_first: int, uid_second: int, shared_dir: Path) -> tuple[Path, Path]:
    source = write_tree(shared_dir / "source", {"dag.py": "VALUE = 1\n", "data.csv": "id\n1\n"}, frozenset())
    target = shared_dir / "efs" / "main"
    target.mkdir(parents=True)
    os.chown(target, uid_first, uid_first)
    publish_as(uid_first, source, target)
    (source / "dag.py").write_text("VALUE = 2\n")
    # The second publisher may write the directories (as a publisher of a mismatched uid could), not the files.
    for directory in (target, target / ".lock", target / "releases"):
        os.chown(directory, uid_second, uid_second)
    publish_as(uid_second, source, target)
    old, new = sorted((target / "releases").iterdir())
    return old, new


def test_the_image_user_hard_links_the_unchanged_files_it_published(shared_dir: Path) -> None:
    old, new = two_releases(IMAGE_USER, IMAGE_USER, shared_dir)
    assert (old / "data.csv").stat().st_uid == IMAGE_USER
    assert (new / "data.csv").stat().st_ino == (old / "data.csv").stat().st_ino, "unchanged file copied, not linked"


def test_another_user_cannot_link_them_and_copies_instead(shared_dir: Path) -> None:
    # Why the access point's user must be the image's: a publisher of another uid copies every unchanged file.
    old, new = two_releases(IMAGE_USER, OTHER_USER, shared_dir)
    assert (new / "data.csv").stat().st_ino != (old / "data.csv").stat().st_ino
    assert (new / "data.csv").read_text() == "id\n1\n"
