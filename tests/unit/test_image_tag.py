"""The image's content tag: the same in every clone of a commit whatever the mtimes, different when a build input
changes, unchanged by commits that touch nothing the build sees, and marked dirty when the checkout differs from
HEAD."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ansible_modules.playbook import COLLECTIONS_PATH

if str(COLLECTIONS_PATH) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_PATH))  # the module_utils file is plain Python, shared with the module

from ansible_collections.dagster_ecs.aws.plugins.module_utils.image_tag import (
    ContentTag,
    DockerIgnore,
    ImageTagError,
    content_tag,
)

DOCKERIGNORE = """\
# allow-list: only what the image needs
*
!docker/
!pyproject.toml
!src/
**/__pycache__
**/*.pyc
"""
FILES = {
    "docker/Dockerfile": "FROM python:3.12-slim\nCOPY pyproject.toml /app/\nCOPY src /app/src\n",
    ".dockerignore": DOCKERIGNORE,
    "pyproject.toml": '[project]\nname = "demo"\n',
    "src/demo/__init__.py": "VALUE = 1\n",
    "src/demo/run.sh": "#!/bin/sh\necho hi\n",
    "README.md": "# demo\n",
    "dags/main/job.py": "print('dag')\n",
    ".gitignore": "__pycache__/\n*.local\n",
}


def git(repository: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-C", str(repository), *args], capture_output=True, text=True, check=True, env=GIT_ENV
    )
    return completed.stdout.strip()


GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def commit_all(repository: Path, message: str) -> str:
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", message)
    return git(repository, "rev-parse", "HEAD")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A small git checkout shaped like this project: docker/Dockerfile, an allow-list .dockerignore, src/."""
    repository = tmp_path / "origin"
    for name, text in FILES.items():
        path = repository / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (repository / "src/demo/run.sh").chmod(0o755)
    git(repository, "init", "-q", "-b", "main")
    commit_all(repository, "initial")
    return repository


def tag_of(repository: Path, **build_args: str) -> ContentTag:
    return content_tag(repository, Path("docker/Dockerfile"), build_args)


def clone(source: Path, target: Path, *args: str) -> Path:
    subprocess.run(
        ["git", "clone", "-q", *args, f"file://{source}", str(target)], check=True, env=GIT_ENV, capture_output=True
    )
    return target


def test_a_clean_checkout_is_named_after_its_commit_and_inputs(checkout: Path) -> None:
    tag = tag_of(checkout)
    head = git(checkout, "rev-parse", "HEAD")
    assert tag.commit == head
    assert tag.dirty is False
    assert tag.tag == f"{head[:12]}-{tag.digest[:16]}"
    assert set(tag.files) == {"docker/Dockerfile", "pyproject.toml", "src/demo/__init__.py", "src/demo/run.sh"}


def test_every_clone_gives_the_same_tag_whatever_its_mtimes_and_umask(checkout: Path, tmp_path: Path) -> None:
    other = clone(checkout, tmp_path / "clone")
    for path in other.rglob("*"):
        if ".git" not in path.parts and path.is_file():
            os.utime(path, (1_000_000, 1_000_000))
            path.chmod(path.stat().st_mode | 0o060)  # a group-writable umask
    assert tag_of(other) == tag_of(checkout)


def test_one_changed_byte_in_src_changes_the_tag_and_marks_it_dirty(checkout: Path) -> None:
    before = tag_of(checkout)
    (checkout / "src/demo/__init__.py").write_text("VALUE = 2\n")
    dirty = tag_of(checkout)
    assert dirty.digest != before.digest
    assert dirty.dirty is True
    assert dirty.tag == f"{before.commit[:12]}-{dirty.digest[:16]}-dirty"
    assert dirty.dirty_paths == ("src/demo/__init__.py",)

    head = commit_all(checkout, "change src")
    committed = tag_of(checkout)
    assert committed.dirty is False
    assert committed.commit == head
    assert committed.digest == dirty.digest, "the digest names the content, committed or not"


def test_a_commit_that_touches_nothing_the_build_sees_keeps_the_tag(checkout: Path) -> None:
    before = tag_of(checkout)
    (checkout / "README.md").write_text("# demo, documented\n")
    (checkout / "dags/main/job.py").write_text("print('another dag')\n")
    commit_all(checkout, "docs and DAGs only")
    assert tag_of(checkout) == before


def test_files_the_dockerignore_excludes_do_not_count(checkout: Path) -> None:
    before = tag_of(checkout)
    cache = checkout / "src/demo/__pycache__"
    cache.mkdir()
    (cache / "x.cpython-312.pyc").write_bytes(b"\0compiled")
    (checkout / "notes.txt").write_text("not sent: the allow-list does not name it\n")
    assert tag_of(checkout) == before


@pytest.mark.parametrize(
    ("name", "why"),
    [("src/demo/new.py", "an untracked file"), ("src/demo/settings.local", "a git-ignored file the build still sees")],
)
def test_files_git_does_not_have_but_the_build_sees_make_it_dirty(checkout: Path, name: str, why: str) -> None:
    before = tag_of(checkout)
    (checkout / name).write_text("secret = 1\n")
    after = tag_of(checkout)
    assert after.dirty is True, why
    assert after.dirty_paths == (name,)
    assert after.digest != before.digest


def test_a_deleted_input_makes_it_dirty(checkout: Path) -> None:
    (checkout / "src/demo/run.sh").unlink()
    after = tag_of(checkout)
    assert after.dirty is True
    assert after.dirty_paths == ("src/demo/run.sh",)


def test_the_executable_bit_counts(checkout: Path) -> None:
    before = tag_of(checkout)
    (checkout / "src/demo/run.sh").chmod(0o644)
    assert tag_of(checkout).digest != before.digest


def test_the_dockerfile_the_dockerignore_and_build_args_count(checkout: Path) -> None:
    digests = {tag_of(checkout).digest, tag_of(checkout, BASE_IMAGE="python:3.12-slim-trixie").digest}
    (checkout / "docker/Dockerfile").write_text(FILES["docker/Dockerfile"] + "USER 1000\n")
    digests.add(tag_of(checkout).digest)
    (checkout / ".dockerignore").write_text(DOCKERIGNORE + "!README.md\n")
    digests.add(tag_of(checkout).digest)
    assert len(digests) == 4


def test_a_shallow_clone_that_cannot_see_the_last_input_change_is_refused(checkout: Path, tmp_path: Path) -> None:
    (checkout / "README.md").write_text("# later, docs only\n")
    commit_all(checkout, "docs only")
    shallow = clone(checkout, tmp_path / "shallow", "--depth", "1")
    with pytest.raises(ImageTagError, match="fetch-depth: 0"):
        tag_of(shallow)
    # Where nothing is published (inventory/local), a shallow clone may still name its image, saying so.
    lenient = content_tag(shallow, Path("docker/Dockerfile"), allow_shallow=True)
    assert lenient.shallow is True
    assert lenient.digest == tag_of(checkout).digest


def test_a_shallow_clone_that_sees_the_last_input_change_gives_the_full_clone_tag(
    checkout: Path, tmp_path: Path
) -> None:
    (checkout / "src/demo/__init__.py").write_text("VALUE = 3\n")
    commit_all(checkout, "change src")
    # Depth 2: the change is visible against its parent (at depth 1 no clone can tell what the tip changed).
    shallow = clone(checkout, tmp_path / "shallow", "--depth", "2")
    assert tag_of(shallow) == tag_of(checkout)


def test_the_architecture_is_part_of_the_tag_and_of_the_digest(checkout: Path) -> None:
    head = git(checkout, "rev-parse", "HEAD")
    amd64 = content_tag(checkout, Path("docker/Dockerfile"), platform="linux/amd64")
    arm64 = content_tag(checkout, Path("docker/Dockerfile"), platform="linux/arm64")
    assert amd64.tag == f"{head[:12]}-{amd64.digest[:16]}-amd64"
    assert arm64.tag == f"{head[:12]}-{arm64.digest[:16]}-arm64"
    assert amd64.digest != arm64.digest
    assert (amd64.dirty, arm64.dirty) == (False, False)
    (checkout / "src/demo/__init__.py").write_text("changed = True\n")
    assert content_tag(checkout, Path("docker/Dockerfile"), platform="linux/arm64").tag.endswith("-arm64-dirty")


def test_an_unknown_platform_is_refused(checkout: Path) -> None:
    with pytest.raises(ImageTagError, match="linux/amd64, linux/arm64"):
        content_tag(checkout, Path("docker/Dockerfile"), platform="linux/s390x")


def test_a_directory_outside_git_is_refused(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    with pytest.raises(ImageTagError, match="not a git checkout"):
        content_tag(tmp_path, Path("Dockerfile"))


def test_a_containerignore_is_refused_because_podman_would_prefer_it(checkout: Path) -> None:
    (checkout / ".containerignore").write_text("*\n")
    with pytest.raises(ImageTagError, match=r"\.containerignore"):
        tag_of(checkout)


# Docker's documented .dockerignore examples (docs.docker.com/build/concepts/context/#dockerignore-files) and
# moby/patternmatcher's rules: (patterns, path, excluded)
IGNORE_CASES = [
    ("*/temp*", "somedir/temporary.txt", True),
    ("*/temp*", "somedir/temp", True),
    ("*/temp*", "temp.txt", False),
    ("*/*/temp*", "somedir/subdir/temporary.txt", True),
    ("*/*/temp*", "somedir/temporary.txt", False),
    ("temp?", "tempa", True),
    ("temp?", "tempab", False),
    ("**/*.go", "a/b/c.go", True),
    ("**/*.go", "c.go", True),
    ("*.md\n!README*.md", "README-secret.md", False),
    ("*.md\n!README*.md", "CHANGES.md", True),
    ("*.md\n!README*.md\nREADME-secret.md", "README-secret.md", True),
    ("docs", "docs/a/b.md", True),
    ("/docs", "docs/a/b.md", True),
    ("./docs/", "docs/index.md", True),
    ("docs", "mydocs/a.md", False),
    ("src/**/tests", "src/pkg/sub/tests/test_a.py", True),
    ("src/**/tests", "src/tests/test_a.py", True),
    ("*\n!src", "src/pkg/a.py", False),
    ("*\n!src", ".venv/bin/python", True),
    ("[a-c].txt", "b.txt", True),
    ("[^a-c].txt", "b.txt", False),
    ("a.b", "axb", False),
    ("a+b", "a+b", True),
]


@pytest.mark.parametrize(("patterns", "path", "excluded"), IGNORE_CASES)
def test_dockerignore_matches_like_docker(patterns: str, path: str, excluded: bool) -> None:
    assert DockerIgnore(patterns).excluded(path) is excluded


def test_an_excluded_directory_is_walked_only_when_a_negation_could_reach_into_it() -> None:
    ignore = DockerIgnore("*\n!src\n!docs/keep.md\n")
    assert ignore.may_include_under(".venv") is False
    assert ignore.may_include_under("docs") is True
    assert DockerIgnore("*\n!**/keep.md\n").may_include_under(".venv") is True
