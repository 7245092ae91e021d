"""Generated dagster.yaml and workspace.yaml, validated by Dagster's own config schema."""

import shutil
import socket
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.workspace.config_schema import process_workspace_config

from dagster_ecs.cli import main
from dagster_ecs.discovery import discover_repositories
from dagster_ecs.instance import local_instance_config, postgres_configured
from dagster_ecs.local_run import prepare_local_run
from dagster_ecs.scaffold import new_dag, new_repo
from dagster_ecs.workspace import code_server_command, grpc_workspace, local_workspace
from tests.unit.dag_trees import REPO_ROOT, REPOSITORIES, make_dags_tree

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


def test_workspaces_are_valid_for_every_repository(tmp_path: Path) -> None:
    repositories = discover_repositories(make_dags_tree(tmp_path))
    local = local_workspace(repositories, tmp_path)
    grpc = grpc_workspace({r.name: (f"{r.name}.dagster.local", 4000) for r in repositories})
    for workspace in (local, grpc):
        result = process_workspace_config(workspace)
        assert result.success, result.errors
    assert [e["python_module"]["location_name"] for e in local["load_from"]] == REPOSITORIES
    assert [e["grpc_server"]["host"] for e in grpc["load_from"]] == [f"{r}.dagster.local" for r in REPOSITORIES]


def test_checkout_workspace_names_every_repository_directory(checkout_dags: Path) -> None:
    local = local_workspace(discover_repositories(checkout_dags), checkout_dags.parent)
    assert process_workspace_config(local).success
    directories = sorted(p.name for p in checkout_dags.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    assert [e["python_module"]["location_name"] for e in local["load_from"]] == directories


def test_code_server_command_loads_the_repository_by_name() -> None:
    command = code_server_command("repo-2", port=4000)
    assert command[:3] == ["dagster", "code-server", "start"]
    assert command[command.index("--attribute") + 1] == "repo-2"
    assert command[command.index("--module-name") + 1] == "dagster_ecs.location"


def test_workspace_command_prints_grpc_entries(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    argv = ["--dags-dir", str(make_dags_tree(tmp_path)), "workspace", "--grpc-host-template", "{repo}.svc"]
    assert main(argv) == 0
    printed = yaml.safe_load(capsys.readouterr().out)
    assert printed == grpc_workspace({"main": ("main.svc", 4000), "reports": ("reports.svc", 4000)})


def test_prepare_local_run_writes_both_files(checkout_dags: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    workspace_path, env = prepare_local_run(checkout_dags, {"DAGSTER_HOME": str(home)})
    assert workspace_path == home / "workspace.yaml"
    assert env["DAGSTER_ECS_DAGS_DIR"] == str(checkout_dags)
    validated_instance(tmp_path, yaml.safe_load((home / "dagster.yaml").read_text()))
    assert process_workspace_config(yaml.safe_load(workspace_path.read_text())).success


def test_prepare_local_run_with_bad_input_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="S3_BUCKET is not set"):
        prepare_local_run(REPO_ROOT / "dags", {"DAGSTER_HOME": str(home), "DAGSTER_ECS_ENVIRONMENT": "prod"})
    assert not home.exists()


def test_dev_on_a_busy_port_fails_before_starting_anything(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "home"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DAGSTER_HOME", str(home))
            argv = ["--dags-dir", str(make_dags_tree(tmp_path)), "dev", "--host", "127.0.0.1", "--port", str(port)]
            assert main(argv) == 2
    assert f"127.0.0.1:{port} is in use" in capsys.readouterr().err
    assert not home.exists(), "nothing is generated for a dev that cannot start"
