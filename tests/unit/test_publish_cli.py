"""`python -m dagster_ecs.publish`: one JSON line per command, one line on stderr and exit 1 on failure."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dagster_ecs.publish.__main__ import main
from dagster_ecs.publish.hash_cache import CACHE_ENV
from dagster_ecs.publish.manifest import build_manifest
from tests.support.publish_trees import expected_files, read_release, write_tree

FILES = {"dag.py": "x = 1\n", "data/a.csv": "a\n"}


@pytest.fixture(autouse=True)
def _hash_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "hash-cache"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


def test_publish_check_rollback_and_releases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source, target = write_tree(tmp_path / "main", FILES), tmp_path / "efs" / "main"
    publish = ["publish", str(source), str(target), "--repository", "main", "--no-preflight"]

    code, checked, _ = run(capsys, *publish, "--check")
    assert (code, checked["changed"], checked["added"]) == (0, True, ["dag.py", "data/a.csv"])
    assert not target.exists(), "check mode writes nothing"

    code, first, _ = run(capsys, *publish)
    assert (code, first["changed"], first["previous"]) == (0, True, None)
    assert read_release(target / "current") == expected_files(build_manifest(source))

    (source / "dag.py").write_text("x = 2\n")
    code, checked, _ = run(capsys, *publish, "--check")
    assert (checked["changed"], checked["changed_files"], checked["release"]) == (True, ["dag.py"], first["release"])
    code, second, _ = run(capsys, *publish, "--keep", "2")
    assert (second["changed_files"], second["transferred"], second["previous"]) == (
        ["dag.py"],
        ["dag.py"],
        first["release"],
    )

    code, listing, _ = run(capsys, "releases", str(target))
    assert listing == {"releases": [first["release"], second["release"]], "current": second["release"]}
    code, back, _ = run(capsys, "rollback", str(target))
    assert (code, back["release"], back["previous"]) == (0, first["release"], second["release"])
    code, verified, _ = run(capsys, "verify", str(target))
    assert verified["release"] == first["release"]

    code, again, _ = run(capsys, *publish, "--check")
    assert again["changed"] is True, "the source differs from the rolled-back live release"


def test_a_target_inside_the_source_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_tree(tmp_path / "main", FILES)
    code, _, err = run(capsys, "publish", str(source), str(source / "out"), "--repository", "main", "--no-preflight")
    assert code == 1
    assert "overlap" in err
    assert not (source / "out").exists()


def test_failures_exit_1_with_one_line_on_stderr(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "dagster_ecs.publish", "rollback", str(tmp_path / "empty")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    reason = f"{tmp_path / 'empty'}: nothing is published, so there is nothing to roll back"
    assert result.stderr == f"python -m dagster_ecs.publish: {reason}\n"


def test_a_bad_repository_name_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["publish", str(tmp_path), str(tmp_path / "t"), "--repository", "Bad_Name"])
    assert raised.value.code == 2
    assert "Bad_Name" in capsys.readouterr().err
