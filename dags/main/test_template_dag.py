"""An example DAG test: `uv run pytest dags/ -v` runs it; the code servers skip test_*.py files.

It loads the repository the way a code server does and materializes the template's job into local storage
(DAGSTER_ECS_ENVIRONMENT unset means 'local': objects go under DAGSTER_ECS_LOCAL_STORAGE, not S3).
"""

import json
from pathlib import Path

import pytest

from dagster_ecs.location import load_repository

REPOSITORY_DIR = Path(__file__).resolve().parent


@pytest.fixture
def local_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("S3_BUCKET", raising=False)
    monkeypatch.delenv("DAGSTER_ECS_ENVIRONMENT", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DAGSTER_ECS_LOCAL_STORAGE", str(tmp_path / "objects"))
    return tmp_path / "objects"


def test_template_pipeline_writes_every_processed_record(local_storage: Path) -> None:
    defs = load_repository(REPOSITORY_DIR.name, REPOSITORY_DIR)
    result = defs.resolve_job_def("template_pipeline").execute_in_process()
    assert result.success
    output = local_storage / "repos" / "main" / "template" / "output" / "processed_data_2_records.json"
    records = json.loads(output.read_text())
    assert [(record["id"], record["processed"], record["length"]) for record in records] == [
        (1, True, 5),
        (2, True, 5),
    ]
