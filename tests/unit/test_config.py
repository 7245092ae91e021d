"""Generated dagster.yaml and workspace.yaml, validated by Dagster's own config schema."""

from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.workspace.config_schema import process_workspace_config

from dagster_ecs.cli import main
from dagster_ecs.discovery import discover_repositories
from dagster_ecs.instance import local_instance_config, postgres_configured
from dagster_ecs.local_run import prepare_local_run
from dagster_ecs.workspace import code_server_command, grpc_workspace, local_workspace

REPO_ROOT = Path(__file__).resolve().parents[2]
POSTGRES_ENV = {
    "DAGSTER_POSTGRES_HOST": "db.internal",
    "DAGSTER_POSTGRES_USER": "dagster",
    "DAGSTER_POSTGRES_PASSWORD": "not-in-the-file",
    "DAGSTER_POSTGRES_DB": "dagster",
    "DAGSTER_POSTGRES_PORT": "5432",
}


def validated_instance(tmp_path: Path, config: dict) -> dict:
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    validated, _ = dagster_instance_config(str(tmp_path))
    return dict(validated)


def test_local_instance_is_valid_and_uses_embedded_storage(tmp_path: Path) -> None:
    validated = validated_instance(tmp_path, local_instance_config({}))
    assert "storage" not in local_instance_config({})
    assert validated["telemetry"] == {"enabled": False}


def test_postgres_instance_is_valid_and_holds_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in POSTGRES_ENV.items():
        monkeypatch.setenv(name, value)
    config = local_instance_config(POSTGRES_ENV)
    validated = validated_instance(tmp_path, config)
    assert validated["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_POSTGRES_PASSWORD"}
    assert "not-in-the-file" not in (tmp_path / "dagster.yaml").read_text()


def test_half_configured_postgres_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="DAGSTER_POSTGRES_PASSWORD, DAGSTER_POSTGRES_DB not set"):
        postgres_configured({"DAGSTER_POSTGRES_HOST": "db", "DAGSTER_POSTGRES_USER": "u"})


def test_workspaces_are_valid_for_every_repository() -> None:
    repositories = discover_repositories(REPO_ROOT / "dags")
    local = local_workspace(repositories, REPO_ROOT)
    grpc = grpc_workspace({r.name: (f"{r.name}.dagster.local", 4000) for r in repositories})
    for workspace in (local, grpc):
        result = process_workspace_config(workspace)
        assert result.success, result.errors
    assert [e["python_module"]["location_name"] for e in local["load_from"]] == ["analytics", "main"]
    assert [e["grpc_server"]["host"] for e in grpc["load_from"]] == ["analytics.dagster.local", "main.dagster.local"]


def test_code_server_command_loads_the_repository_by_name() -> None:
    command = code_server_command("repo-2", port=4000)
    assert command[:3] == ["dagster", "code-server", "start"]
    assert command[command.index("--attribute") + 1] == "repo-2"
    assert command[command.index("--module-name") + 1] == "dagster_ecs.location"


def test_workspace_command_prints_grpc_entries(capsys: pytest.CaptureFixture) -> None:
    argv = ["--dags-dir", str(REPO_ROOT / "dags"), "workspace", "--grpc-host-template", "{repo}.svc"]
    assert main(argv) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == grpc_workspace({"analytics": ("analytics.svc", 4000), "main": ("main.svc", 4000)})


def test_prepare_local_run_writes_both_files(tmp_path: Path) -> None:
    workspace_path, env = prepare_local_run(REPO_ROOT / "dags", {"DAGSTER_HOME": str(tmp_path)})
    assert workspace_path == tmp_path / "workspace.yaml"
    assert env["DAGSTER_ECS_DAGS_DIR"] == str(REPO_ROOT / "dags")
    validated_instance(tmp_path, yaml.safe_load((tmp_path / "dagster.yaml").read_text()))
    assert process_workspace_config(yaml.safe_load(workspace_path.read_text())).success


def test_prepare_local_run_with_bad_input_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="S3_BUCKET is not set"):
        prepare_local_run(REPO_ROOT / "dags", {"DAGSTER_HOME": str(home), "DAGSTER_ECS_ENVIRONMENT": "prod"})
    assert not home.exists()
