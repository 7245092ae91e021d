"""The content-addressed manifest: what is published, how it is hashed, and which manifests are refused."""

import hashlib
import json
import os
from pathlib import Path

import pathspec
import pytest

from dagster_ecs.publish import hash_cache
from dagster_ecs.publish.errors import ManifestError
from dagster_ecs.publish.hash_cache import HashCache
from dagster_ecs.publish.ignore import ALWAYS_EXCLUDED, IGNORE_FILE, is_excluded
from dagster_ecs.publish.manifest import FileEntry, Manifest, build_manifest
from tests.support.publish_trees import write_tree

SHA_A = hashlib.sha256(b"a").hexdigest()


def test_every_file_is_listed_with_its_sha256_size_and_executable_bit(tmp_path: Path) -> None:
    source = write_tree(
        tmp_path / "repo",
        {"dag.py": "print(1)\n", "data/rows.csv": b"\x00\x01binary", "bin/run.sh": "#!/bin/sh\n"},
        executable=frozenset({"bin/run.sh"}),
    )
    manifest = build_manifest(source)
    assert list(manifest.files) == ["bin/run.sh", "dag.py", "data/rows.csv"]
    rows = manifest.files["data/rows.csv"]
    assert rows.sha256 == hashlib.sha256(b"\x00\x01binary").hexdigest()
    assert rows.size == len(b"\x00\x01binary")
    assert not rows.executable
    assert manifest.files["bin/run.sh"].executable


def test_the_digest_depends_on_content_and_mode_not_on_where_or_when(tmp_path: Path) -> None:
    files = {"dag.py": "x = 1\n", "pkg/helper.py": "y = 2\n"}
    first = build_manifest(write_tree(tmp_path / "one", files))
    second = build_manifest(write_tree(tmp_path / "two", files))
    assert first == second
    assert first.digest == second.digest == hashlib.sha256(first.to_json().encode()).hexdigest()

    (tmp_path / "two" / "pkg" / "helper.py").write_text("y = 3\n")
    assert build_manifest(tmp_path / "two").digest != first.digest
    (tmp_path / "one" / "dag.py").chmod(0o755)
    assert build_manifest(tmp_path / "one").digest != first.digest


def test_the_json_round_trips_and_is_canonical(tmp_path: Path) -> None:
    manifest = build_manifest(write_tree(tmp_path / "repo", {"b.py": "b", "a/c.txt": "c"}))
    text = manifest.to_json()
    assert Manifest.from_json(text) == manifest
    assert Manifest.from_json(text).to_json() == text
    assert " " not in text
    assert json.loads(text)["files"][0]["path"] == "a/c.txt"


def test_caches_tests_and_dotfiles_are_never_published(tmp_path: Path) -> None:
    source = write_tree(
        tmp_path / "repo",
        {
            "dag.py": "",
            "__pycache__/dag.cpython-312.pyc": "",
            "helpers/__pycache__/x.pyc": "",
            "stray.pyc": "",
            "tests/test_dag.py": "",
            "test_dag.py": "",
            "dag_test.py": "",
            "conftest.py": "",
            "helpers/util.py": "",
            "helpers/tests/fixture.json": "",
            ".env": "SECRET=1",
            ".git/config": "",
            "helpers/.cache/x": "",
            IGNORE_FILE: "",
        },
    )
    assert list(build_manifest(source).files) == ["dag.py", "helpers/util.py"]


def test_the_ignore_file_uses_gitignore_syntax_but_cannot_bring_back_tests(tmp_path: Path) -> None:
    source = write_tree(
        tmp_path / "repo",
        {
            IGNORE_FILE: "*.log\nscratch/\n/notes.md\n!keep.log\n!test_me.py\n",
            "dag.py": "",
            "run.log": "",
            "keep.log": "",
            "deep/run.log": "",
            "scratch/a.py": "",
            "notes.md": "",
            "deep/notes.md": "",
            "test_me.py": "",
        },
    )
    assert list(build_manifest(source).files) == ["dag.py", "deep/notes.md", "keep.log"]


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("dag.py", False),
        ("tests/", True),
        ("tests", False),  # a file called tests is an ordinary file
        ("pkg/tests/data.csv", True),
        ("my_tests.py", False),
        ("pkg/conftest.py", True),
        (".dagsterignore", True),
        ("pkg/.hidden/x.py", True),
    ],
)
def test_is_excluded(path: str, excluded: bool) -> None:
    assert is_excluded(path) is excluded


def test_a_symlink_inside_the_repository_publishes_its_file(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "repo", {"shared/helper.py": "x = 1\n"})
    (source / "helper.py").symlink_to("shared/helper.py")
    manifest = build_manifest(source)
    assert manifest.files["helper.py"].sha256 == manifest.files["shared/helper.py"].sha256


def test_a_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("key")
    source = write_tree(tmp_path / "repo", {"dag.py": ""})
    (source / "creds.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(ManifestError, match=r"creds\.txt: symlink to .*secret\.txt"):
        build_manifest(source)


def test_a_symlink_the_ignore_file_excludes_is_not_followed(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "repo", {"dag.py": "", IGNORE_FILE: "outside\n"})
    (source / "outside").symlink_to("/etc")
    assert list(build_manifest(source).files) == ["dag.py"]


def test_special_files_are_refused(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "repo", {"dag.py": ""})
    os.mkfifo(source / "pipe")
    with pytest.raises(ManifestError, match="pipe: not a regular file"):
        build_manifest(source)


@pytest.mark.parametrize(
    "path", ["../escape.py", "/etc/passwd", "a/../../b", "a//b", "", ".manifest.json", "a/./b", "a\\b", "x/.git/y"]
)
def test_a_manifest_cannot_name_a_path_outside_its_release(path: str) -> None:
    document = {"version": 1, "files": [{"path": path, "sha256": SHA_A, "size": 1, "executable": False}]}
    with pytest.raises(ManifestError, match="not a publishable path"):
        Manifest.from_json(json.dumps(document))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"path": "a", "sha256": "ABC", "size": 1, "executable": False}, "not 64 lowercase hex"),
        ({"path": "a", "sha256": SHA_A, "size": -1, "executable": False}, "not a non-negative integer"),
        ({"path": "a", "sha256": SHA_A, "size": True, "executable": False}, "not a non-negative integer"),
        ({"path": "a", "sha256": SHA_A, "size": 1, "executable": "yes"}, "not a boolean"),
        ({"path": "a", "sha256": SHA_A, "size": 1}, "malformed manifest: KeyError"),
    ],
)
def test_malformed_entries_are_refused(entry: dict[str, object], message: str) -> None:
    with pytest.raises(ManifestError, match=message):
        Manifest.from_json(json.dumps({"version": 1, "files": [entry]}))


def test_a_path_cannot_be_both_a_file_and_a_directory() -> None:
    with pytest.raises(ManifestError, match="pkg: listed both as a file and as a directory"):
        Manifest([FileEntry("pkg", SHA_A, 1, False), FileEntry("pkg/a.py", SHA_A, 1, False)])
    with pytest.raises(ManifestError, match="listed twice"):
        Manifest([FileEntry("a.py", SHA_A, 1, False), FileEntry("a.py", SHA_A, 1, True)])


def test_unknown_versions_and_non_json_are_refused() -> None:
    with pytest.raises(ManifestError, match="not a version 1 manifest"):
        Manifest.from_json('{"version": 2, "files": []}')
    with pytest.raises(ManifestError, match="malformed manifest"):
        Manifest.from_json("not json")


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # Files written by the test are seconds old at most: trust hashes at once, as for files edited long ago.
    monkeypatch.setattr(hash_cache, "RACY_SECONDS", 0)
    return tmp_path / "cache"


def test_the_hash_cache_skips_reading_unchanged_files(tmp_path: Path, cache_dir: Path) -> None:
    source = write_tree(tmp_path / "repo", {"dag.py": "x = 1\n", "data/a.csv": "a\n", "data/b.csv": "b\n"})
    first = build_manifest(source, cache=HashCache(source, cache_dir))
    cache = HashCache(source, cache_dir)
    assert build_manifest(source, cache=cache) == first
    assert cache.hits == 3

    (source / "data" / "a.csv").write_text("A\n")  # same size
    cache = HashCache(source, cache_dir)
    changed = build_manifest(source, cache=cache)
    assert changed == build_manifest(source), "the cache must give what hashing gives"
    assert changed.files["data/a.csv"].sha256 != first.files["data/a.csv"].sha256
    assert cache.hits == 2


def test_restoring_the_mtime_does_not_hide_a_change(tmp_path: Path, cache_dir: Path) -> None:
    source = write_tree(tmp_path / "repo", {"dag.py": "x = 1\n"})
    path = source / "dag.py"
    build_manifest(source, cache=HashCache(source, cache_dir))
    before = path.stat()
    path.write_text("x = 2\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    cache = HashCache(source, cache_dir)
    assert build_manifest(source, cache=cache) == build_manifest(source)
    assert cache.hits == 0, "ctime changed, so the remembered hash is not used"


def test_files_changed_just_now_are_hashed_again_next_time(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "repo", {"dag.py": "x = 1\n"})
    build_manifest(source, cache=HashCache(source, tmp_path / "cache"))
    cache = HashCache(source, tmp_path / "cache")
    build_manifest(source, cache=cache)
    assert cache.hits == 0, "a write in the same timestamp tick as the hashing would go unnoticed"


def test_a_damaged_cache_is_ignored(tmp_path: Path, cache_dir: Path) -> None:
    source = write_tree(tmp_path / "repo", {"dag.py": "x = 1\n"})
    cache = HashCache(source, cache_dir)
    build_manifest(source, cache=cache)
    cache.path.write_text('{"version": 1, "entries": {"dag.py": 7}}')
    assert build_manifest(source, cache=HashCache(source, cache_dir)) == build_manifest(source)
    cache.path.write_text("not json")
    assert build_manifest(source, cache=HashCache(source, cache_dir)) == build_manifest(source)


@pytest.mark.parametrize(
    "path",
    [
        "dag.py",
        "tests/",
        "tests",
        "a/tests/",
        "a/tests/b.py",
        "testsuite/",
        "__pycache__/",
        "a/__pycache__/x.py",
        "x.pyc",
        "a/x.pyc",
        "x.pyc/",
        "test_a.py",
        "a/test_a.py",
        "test_a.txt",
        "a_test.py",
        "atest.py",
        "conftest.py",
        "a/conftest.py",
        ".env",
        "a/.git/",
        "a/.git/config",
        ".hidden/",
        "a.b/c.py",
        "conftest.py/",
        "test_.py",
        "_test.py",
        "x/test_y.py/z",
        "pkg.pyc/a",
    ],
)
def test_the_always_excluded_rule_is_its_gitignore_patterns(path: str) -> None:
    assert is_excluded(path) is pathspec.GitIgnoreSpec.from_lines(ALWAYS_EXCLUDED).match_file(path)
