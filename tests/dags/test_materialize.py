"""Every repository under dags/ materializes against S3 (the moto server) and stays inside its prefix."""

from pathlib import Path

import boto3
import pytest

from dagster_ecs.discovery import Repository, discover_repositories
from dagster_ecs.location import load_repository
from tests.support.moto_server import MotoServer, platform_bucket

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"
BUCKET = "dagster-ecs-test-objects"
REPOSITORIES = discover_repositories(DAGS_DIR)


def all_keys() -> set[str]:
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {obj["Key"] for page in pages for obj in page.get("Contents", [])}


@pytest.fixture
def bucket(aws: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    return platform_bucket(monkeypatch, BUCKET)


def test_the_example_repositories_exist() -> None:
    assert {"main", "analytics"} <= {r.name for r in REPOSITORIES}


@pytest.mark.parametrize("repository", REPOSITORIES, ids=lambda r: r.name)
def test_repository_materializes_only_under_its_prefix(bucket: str, repository: Repository) -> None:
    defs = load_repository(repository.name, repository.path)
    before = all_keys()
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.success
    written = all_keys() - before
    assert written, f"{repository.name} wrote nothing to s3://{bucket}"
    outside = sorted(k for k in written if not k.startswith(f"repos/{repository.name}/"))
    assert outside == []
    for job in defs.resolve_all_job_defs():
        if not job.name.startswith("__"):
            assert job.execute_in_process().success, job.name


def test_template_objects_are_where_the_template_says(bucket: str) -> None:
    defs = load_repository("main", DAGS_DIR / "main")
    assert defs.resolve_job_def("template_pipeline").execute_in_process().success
    assert all_keys() == {
        "repos/main/repos/template/template_input_data",
        "repos/main/repos/template/template_processed_data",
        "repos/main/template/output/processed_data_2_records.json",
    }


def test_all_repositories_together_partition_the_bucket(bucket: str) -> None:
    for repository in REPOSITORIES:
        load_repository(repository.name, repository.path).resolve_implicit_global_asset_job_def().execute_in_process()
    owners = {key.split("/")[1] for key in all_keys()}
    assert all(key.startswith("repos/") for key in all_keys())
    assert owners == {r.name for r in REPOSITORIES}
