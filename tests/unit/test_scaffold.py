"""new-repo / new-dag through the CLI a data engineer types, and what they leave behind."""

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dagster_ecs.cli import main
from dagster_ecs.location import load_repository
from tests.unit.dag_trees import REPOSITORIES, make_dags_tree


@pytest.fixture
def dags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("S3_BUCKET", raising=False)
    monkeypatch.delenv("DAGSTER_ECS_ENVIRONMENT", raising=False)
    return make_dags_tree(tmp_path)


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def tree(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if "__pycache__" not in p.parts)


def test_new_dag_replaces_every_template_name_and_materializes(dags: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--dags-dir", str(dags), "new-dag", "reports", "sales"]) == 0
    created = dags / "reports" / "sales.py"
    assert f"created {created}" in capsys.readouterr().out
    text = created.read_text()
    assert "template" not in text.lower()
    assert 'REPOSITORY_NAME = "sales"' in text
    defs = load_repository("reports", dags / "reports")
    job = defs.resolve_job_def("sales_pipeline")
    assert job.execute_in_process().success
    keys = {key.to_user_string() for key in defs.resolve_all_asset_keys()}
    assert {"repos/sales/sales_input_data", "repos/sales/sales_processed_data", "repos/sales/sales_output_data"} <= keys


def test_new_repo_with_a_hyphenated_name_is_a_working_location(dags: Path) -> None:
    assert main(["--dags-dir", str(dags), "new-repo", "repo-2"]) == 0
    assert tree(dags / "repo-2") == ["repo_2.py"]
    defs = load_repository("repo-2", dags / "repo-2")
    assert defs.resolve_job_def("repo_2_pipeline").execute_in_process().success
    assert (defs.resources or {})["s3"].prefix == "repos/repo-2/"


@pytest.mark.usefixtures("umask_022")
def test_scaffolded_files_and_directories_honour_the_umask(dags: Path) -> None:
    # The compose bind mount serves dags/ to the image's uid 10001: with umask 022 it must be able to read them.
    assert main(["--dags-dir", str(dags), "new-repo", "repo-2"]) == 0
    assert main(["--dags-dir", str(dags), "new-dag", "reports", "sales"]) == 0
    assert stat.S_IMODE((dags / "repo-2").stat().st_mode) == 0o755
    assert stat.S_IMODE((dags / "repo-2" / "repo_2.py").stat().st_mode) == 0o644
    assert stat.S_IMODE((dags / "reports" / "sales.py").stat().st_mode) == 0o644


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["new-repo", "Repo_2"], "repository name 'Repo_2' is invalid"),
        (["new-repo", "main"], "already exists"),
        (["new-repo", "fresh", "--dag", "weekly"], "already used by"),
        (["new-repo", "fresh", "--dag", "bad-name"], "DAG name 'bad-name' is invalid"),
        (["new-repo", "fresh", "--dag", "test_fresh"], "DAG name 'test_fresh' would never be loaded: pytest's"),
        (["new-dag", "nowhere", "sales"], "does not exist"),
        (["new-dag", "main", "template"], "template's own name"),
        (["new-dag", "main", "Sales"], "DAG name 'Sales' is invalid"),
        (["new-dag", "main", "weekly"], "already used by"),
        (["new-dag", "main", "test_sales"], "DAG name 'test_sales' would never be loaded: pytest's files"),
        (["new-dag", "main", "sales_test"], "DAG name 'sales_test' would never be loaded: pytest's files"),
        (["new-dag", "main", "conftest"], "DAG name 'conftest' would never be loaded: pytest's files"),
        (["new-dag", "main", "class"], "DAG name 'class' is a Python keyword"),
        (["new-dag", "main", "import"], "DAG name 'import' is a Python keyword"),
        (["new-dag", "main", "sales", "--template", "/nonexistent.py"], "template /nonexistent.py not found"),
    ],
)
def test_bad_input_fails_clearly_and_writes_nothing(
    dags: Path, capsys: pytest.CaptureFixture, argv: list[str], message: str
) -> None:
    before = tree(dags)
    assert main(["--dags-dir", str(dags), *argv]) == 2
    assert message in capsys.readouterr().err
    assert tree(dags) == before


def test_template_that_does_not_render_writes_nothing(
    dags: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    template = tmp_path / "bad_template.py"
    template.write_text("template = (\n")
    before = tree(dags)
    assert main(["--dags-dir", str(dags), "new-dag", "main", "sales", "--template", str(template)]) == 2
    assert "valid Python" in capsys.readouterr().err
    assert tree(dags) == before


def test_repos_lists_every_repository(dags: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--dags-dir", str(dags), "repos"]) == 0
    assert capsys.readouterr().out.split() == REPOSITORIES


def test_dags_dir_goes_before_or_after_the_command(dags: Path, capsys: pytest.CaptureFixture) -> None:
    for argv in (["--dags-dir", str(dags), "repos"], ["repos", "--dags-dir", str(dags)]):
        assert main(argv) == 0
        assert capsys.readouterr().out.split() == REPOSITORIES


def test_scaffolded_names_appear_in_the_listing(dags: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--dags-dir", str(dags), "new-repo", "repo-2"]) == 0
    assert main(["--dags-dir", str(dags), "new-dag", "main", "sales"]) == 0
    capsys.readouterr()
    assert main(["--dags-dir", str(dags), "repos"]) == 0
    assert capsys.readouterr().out.split() == ["main", "repo-2", "reports"]
