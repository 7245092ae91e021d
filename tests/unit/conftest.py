"""Fixtures shared by the unit tests of generated configuration and of the local run."""

import shutil
from pathlib import Path

import pytest

from dagster_ecs.scaffold import new_dag, new_repo
from tests.unit.dag_trees import REPO_ROOT


@pytest.fixture(params=["as checked out", "after new-repo repo-2 and new-dag main sales"])
def checkout_dags(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The checkout's dags/, and a copy grown the way the README grows it: tests over dags/ must pass on both."""
    if request.param == "as checked out":
        return REPO_ROOT / "dags"
    dags = tmp_path / "dags"
    shutil.copytree(REPO_ROOT / "dags", dags, ignore=shutil.ignore_patterns("__pycache__"))
    new_repo(dags, "repo-2")
    new_dag(dags, "main", "sales")
    return dags


@pytest.fixture
def runtime_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a service's task definition provides: plain settings; no password (RDS IAM auth tokens)."""
    for name, value in {
        "DAGSTER_POSTGRES_HOST": "dagster-ecs-dev.abc.ap-southeast-2.rds.amazonaws.com",
        "DAGSTER_POSTGRES_PORT": "5432",
        "DAGSTER_POSTGRES_USER": "dagster",
        "DAGSTER_POSTGRES_DB": "dagster",
        "AWS_DEFAULT_REGION": "ap-southeast-2",
        # Building boto3 clients needs credentials to exist; nothing here calls AWS.
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
