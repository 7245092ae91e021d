"""The publish commands under `dagster-ecs`: publish / rollback / verify as the publish CLI runs them, and
`dagster-ecs releases REPO`, the releases of a published repository as a table a person reads."""

import json
import re
from pathlib import Path

import pytest

from dagster_ecs.cli import main
from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import apply_release, rollback
from tests.support.publish_trees import write_tree


def publish(source: Path, target: Path) -> str:
    return apply_release(target, build_manifest(source), DirectoryBlobs(source)).release


def test_the_table_names_each_release_its_time_its_files_and_the_live_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    efs = tmp_path / "efs"
    source = write_tree(tmp_path / "main", {"dag.py": "x = 1\n"})
    first = publish(source, efs / "main")
    write_tree(source, {"dag.py": "x = 2\n", "data/a.csv": "a\n"})
    second = publish(source, efs / "main")
    rollback(efs / "main")

    assert main(["--dags-dir", str(efs), "releases", "main"]) == 0
    header, *rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["RELEASE", "PUBLISHED", "(UTC)", "FILES", "LIVE"]
    stamp = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}"
    assert re.fullmatch(rf"{first}  {stamp}  1      live", rows[0]), rows
    assert re.fullmatch(rf"{second}  {stamp}  2", rows[1]), rows
    assert len(rows) == 2


def test_an_unpublished_repository_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dags-dir", str(tmp_path), "releases", "main"]) == 0
    assert capsys.readouterr().out == f"nothing is published in {tmp_path / 'main'}\n"


def test_a_bad_repository_name_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--dags-dir", str(tmp_path), "releases", "Main"]) == 2
    assert "repository name 'Main' is invalid" in capsys.readouterr().err


def test_publish_rollback_and_verify_run_under_dagster_ecs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    efs = tmp_path / "efs"
    source = write_tree(tmp_path / "main", {"dag.py": "x = 1\n"})
    publish_argv = ["publish", str(source), str(efs / "main"), "--repository", "main", "--no-preflight"]
    assert main(publish_argv) == 0
    first = json.loads(capsys.readouterr().out)
    write_tree(source, {"dag.py": "x = 2\n"})
    assert main(publish_argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert (first["changed"], second["previous"]) == (True, first["release"])

    assert main(["rollback", str(efs / "main")]) == 0
    assert json.loads(capsys.readouterr().out)["release"] == first["release"]
    assert main(["verify", str(efs / "main")]) == 0
    verified = json.loads(capsys.readouterr().out)
    assert (verified["release"], verified["files"]) == (first["release"], 1)
    assert main(["--dags-dir", str(efs), "releases", "main"]) == 0
    rows = capsys.readouterr().out.splitlines()[1:]
    assert [row.split()[0] for row in rows if row.endswith("live")] == [first["release"]]


def test_a_publish_command_after_options_fails_clearly(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--dags-dir", "dags", "rollback", "somewhere"])
    assert exit_info.value.code == 2
    assert "put 'rollback' first" in capsys.readouterr().err
