"""A webserver and one code server serving a repository from DAGSTER_ECS_DAGS_DIR, as on ECS.

Shared by the live-reload end-to-end test and the publish benchmark: the code server runs the ECS command
(`dagster code-server start -m dagster_ecs.location -a <repo>`), the webserver reaches it over gRPC.
"""

from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from dagster_ecs.config.instance import local_instance_config
from dagster_ecs.config.workspace import grpc_workspace
from dagster_ecs.publish.reload import served
from tests.support.dagster_processes import DagsterGraphQL, DagsterProcess, DagsterProcesses, base_env


@dataclass
class LiveDagster:
    processes: DagsterProcesses
    code_server: DagsterProcess
    webserver: DagsterProcess
    graphql: DagsterGraphQL

    def asset_keys(self, location: str) -> set[str]:
        """The asset keys the webserver lists for `location` now ("a/b" strings), read as the reload reads them."""
        now = served(self.webserver.url, location)
        assert now is not None, f"{location} is still loading"
        return set(now.definitions.asset_keys)


@contextmanager
def serving(work: Path, repository: str, dags_dir: Path, extra_env: Mapping[str, str]) -> Generator[LiveDagster]:
    """Start the code server of `repository` (reading `dags_dir`) and a webserver in front of it."""
    home = work / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = base_env(
        {
            "DAGSTER_HOME": str(home),
            "DAGSTER_ECS_DAGS_DIR": str(dags_dir),
            "DAGSTER_ECS_LOCAL_STORAGE": str(work / "objects"),
            **extra_env,
        }
    )
    (home / "dagster.yaml").write_text(yaml.safe_dump(local_instance_config(env), sort_keys=False))
    with DagsterProcesses(work / "logs", env, cwd=work) as processes:
        code_server = processes.code_server(repository)
        processes.wait_code_server(code_server, timeout=180)
        workspace = work / "workspace.yaml"
        workspace.write_text(yaml.safe_dump(grpc_workspace({repository: ("127.0.0.1", code_server.port or 0)})))
        webserver = processes.webserver(workspace, timeout=180)
        yield LiveDagster(processes, code_server, webserver, DagsterGraphQL(webserver.url, processes.diagnostics))
