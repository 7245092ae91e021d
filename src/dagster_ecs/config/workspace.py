"""The workspace (workspace.yaml) for each place the platform runs, and the command of a code server.

Every target has one code location per DAG repository, named after it and loaded by `dagster_ecs.location`
with the repository as the attribute: on a laptop in a process Dagster starts itself, elsewhere from the
repository's own `dagster code-server` over gRPC.
"""

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dagster_ecs.config import DeployConfigError
from dagster_ecs.config.ecs_settings import string_tuple
from dagster_ecs.discovery import Repository
from dagster_ecs.names import validate_repository_name

LOADER_MODULE = "dagster_ecs.location"
CODE_SERVER_PORT = 4000

_DNS_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


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


def ecs_workspace(repositories: Sequence[str], namespace: str, port: int = CODE_SERVER_PORT) -> dict[str, Any]:
    """workspace.yaml for the webserver and daemon on ECS: each repository's code server by its Cloud Map name."""
    names = string_tuple("repositories", repositories)
    if not names:
        raise DeployConfigError("repositories is empty: the workspace needs at least one DAG repository")
    for name in names:
        try:
            validate_repository_name(name)
        except ValueError as error:
            raise DeployConfigError(f"repositories: {error}") from None
    if len(set(names)) != len(names):
        raise DeployConfigError(f"repositories lists a repository twice: {sorted(names)}")
    labels = namespace.split(".") if isinstance(namespace, str) else []
    if not labels or len(namespace) > 253 or not all(_DNS_LABEL_RE.fullmatch(label) for label in labels):
        raise DeployConfigError(
            f"namespace={namespace!r} is not a DNS name (lowercase labels separated by dots, "
            "e.g. dagster-ecs-dev.local)"
        )
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise DeployConfigError(f"port={port!r} is not a TCP port (1-65535)")
    return grpc_workspace({name: (f"{name}.{namespace}", port) for name in names})


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
