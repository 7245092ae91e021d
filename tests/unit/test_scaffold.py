"""new-repo / new-dag through the CLI a data engineer types, and what they leave behind."""

import shutil
from pathlib import Path

import pytest

from dagster_ecs.cli import main
from dagster_ecs.location import load_repository

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "dags"
    shutil.copytree(REPO_ROOT / "dags", target, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("S3_BUCKET", raising=False)
    monkeypatch.delenv("DAGSTER_ECS_ENVIRONMENT", raising=False)
    return target


def tree(path: Path) -> list[str]:
    return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if "__pycache__" not in p.parts)


def test_new_dag_replaces_every_template_name_and_materializes(dags: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--dags-dir", str(dags), "new-dag", "analytics", "sales"]) == 0
    created = dags / "analytics" / "sales.py"
    assert f"created {created}" in capsys.readouterr().out
    text = created.read_text()
    assert "template" not in text.lower()
    assert 'REPOSITORY_NAME = "sales"' in text
    defs = load_repository("analytics", dags / "analytics")
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


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["new-repo", "Repo_2"], "repository name 'Repo_2' is invalid"),
        (["new-repo", "main"], "already exists"),
        (["new-repo", "fresh", "--dag", "daily_metrics"], "already used by"),
        (["new-repo", "fresh", "--dag", "bad-name"], "DAG name 'bad-name' is invalid"),
        (["new-dag", "nowhere", "sales"], "does not exist"),
        (["new-dag", "main", "template"], "template's own name"),
        (["new-dag", "main", "Sales"], "DAG name 'Sales' is invalid"),
        (["new-dag", "main", "storage_inventory"], "already used by"),
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


def test_repos_lists_every_repository(capsys: pytest.CaptureFixture) -> None:
    assert main(["--dags-dir", str(REPO_ROOT / "dags"), "repos"]) == 0
    assert capsys.readouterr().out.split() == ["analytics", "main"]


def test_dags_dir_goes_before_or_after_the_command(capsys: pytest.CaptureFixture) -> None:
    for argv in (["--dags-dir", str(REPO_ROOT / "dags"), "repos"], ["repos", "--dags-dir", str(REPO_ROOT / "dags")]):
        assert main(argv) == 0
        assert capsys.readouterr().out.split() == ["analytics", "main"]
