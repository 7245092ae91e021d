"""Generated workspace.yaml (dagster_ecs.config.workspace) for a laptop and for ECS, validated by Dagster's own
workspace schema, and the command a code server runs."""

from pathlib import Path

import pytest
import yaml
from dagster._core.workspace.config_schema import process_workspace_config

from dagster_ecs.cli import main
from dagster_ecs.config import DeployConfigError
from dagster_ecs.config.workspace import code_server_command, ecs_workspace, grpc_workspace, local_workspace
from dagster_ecs.discovery import discover_repositories
from tests.unit.dag_trees import REPO_ROOT, REPOSITORIES, make_dags_tree


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


def test_workspace_names_each_code_server_by_its_cloud_map_name() -> None:
    repositories = [repository.name for repository in discover_repositories(REPO_ROOT / "dags")]
    workspace = ecs_workspace(repositories, "dagster-ecs-dev.local")
    result = process_workspace_config(workspace)
    assert result.success, result.errors
    assert workspace["load_from"] == [
        {"grpc_server": {"host": f"{name}.dagster-ecs-dev.local", "port": 4000, "location_name": name}}
        for name in sorted(repositories)
    ]
    assert ecs_workspace(["repo-2"], "ns.local", port=4100)["load_from"][0]["grpc_server"]["port"] == 4100


@pytest.mark.parametrize(
    ("repositories", "namespace", "port", "message"),
    [
        ([], "ns.local", 4000, "repositories is empty"),
        (["Repo_2"], "ns.local", 4000, "repositories: repository name 'Repo_2' is invalid"),
        (["main", "main"], "ns.local", 4000, "lists a repository twice"),
        (["main"], "NS..local", 4000, "namespace='NS..local' is not a DNS name"),
        (["main"], "ns.local", 70000, "port=70000"),
        ("main", "ns.local", 4000, "repositories must be a list"),
    ],
)
def test_bad_workspace_input_fails_with_the_input_named(
    repositories: list, namespace: str, port: int, message: str
) -> None:
    with pytest.raises(DeployConfigError, match=message):
        ecs_workspace(repositories, namespace, port)
