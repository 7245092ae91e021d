"""The workspace (workspace.yaml): one code location per DAG repository, generated from dags/."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster_ecs.discovery import Repository

LOADER_MODULE = "dagster_ecs.location"
CODE_SERVER_PORT = 4000


def local_workspace(repositories: Sequence[Repository], working_directory: Path) -> dict[str, Any]:
    """Each repository loaded in a process Dagster starts itself, as `dagster dev` does."""
    return {
        "load_from": [
            {
                "python_module": {
                    "module_name": LOADER_MODULE,
                    "attribute": repository.name,
                    "location_name": repository.name,
                    "working_directory": str(working_directory),
                }
            }
            for repository in repositories
        ]
    }


def grpc_workspace(servers: Mapping[str, tuple[str, int]]) -> dict[str, Any]:
    """Each repository served by its own `dagster code-server` at (host, port), as on ECS."""
    return {
        "load_from": [
            {"grpc_server": {"host": host, "port": port, "location_name": name}}
            for name, (host, port) in sorted(servers.items())
        ]
    }


def compose_service_name(repository: str) -> str:
    """The docker-compose.yml service (and host name) of a repository's code server."""
    return f"code-{repository}"


def compose_workspace(repositories: Sequence[str]) -> dict[str, Any]:
    """The workspace of docker-compose.yml: each repository's code server by its compose service name."""
    return grpc_workspace({name: (compose_service_name(name), CODE_SERVER_PORT) for name in repositories})


def code_server_command(repository: str, host: str = "0.0.0.0", port: int = CODE_SERVER_PORT) -> list[str]:  # noqa: S104 - containers listen on their own interface
    """The command a repository's code server runs; it reloads code without restarting the container."""
    return [
        "dagster",
        "code-server",
        "start",
        "--host",
        host,
        "--port",
        str(port),
        "--module-name",
        LOADER_MODULE,
        "--attribute",
        repository,
        "--location-name",
        repository,
    ]
