"""`dagster-ecs dev`: every repository as its own code location, the UI on http://localhost:3000."""

import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster_ecs.config import to_yaml
from dagster_ecs.config.instance import DEFAULT_POSTGRES_PORT, POSTGRES_PORT_ENV, local_instance_config
from dagster_ecs.config.workspace import local_workspace
from dagster_ecs.discovery import discover_repositories
from dagster_ecs.location import DAGS_DIR_ENV
from dagster_ecs.settings import ConfigurationError, default_dagster_home, settings_from_env


def prepare_local_run(dags_dir: Path, env: Mapping[str, str]) -> tuple[Path, dict[str, str]]:
    """Write dagster.yaml and workspace.yaml into DAGSTER_HOME; return the workspace path and child env.

    Everything is validated first (repository names, storage settings), so a bad input writes nothing.
    """
    dags_dir = dags_dir.resolve()
    repositories = discover_repositories(dags_dir)
    instance = local_instance_config(env)
    child_env = {**env, DAGS_DIR_ENV: str(dags_dir)}
    child_env.setdefault(POSTGRES_PORT_ENV, DEFAULT_POSTGRES_PORT)
    home = default_dagster_home(env).resolve()
    child_env["DAGSTER_HOME"] = str(home)
    settings_from_env(child_env)  # fail now, not in every code server, on a bad S3_BUCKET or environment
    workspace = local_workspace(repositories, working_directory=dags_dir.parent)
    home.mkdir(parents=True, exist_ok=True)
    _write_yaml(home / "dagster.yaml", instance)
    workspace_path = home / "workspace.yaml"
    _write_yaml(workspace_path, workspace)
    return workspace_path, child_env


def ensure_port_free(host: str, port: int) -> None:
    """Fail before anything starts when the UI's port is taken: `dagster dev` would start its daemon anyway, and
    a second daemon on the same DAGSTER_HOME storage runs every schedule and sensor twice."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # SO_REUSEADDR as the webserver sets it: a port left in TIME_WAIT is free, a listening one is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ConfigurationError(
                f"{host}:{port} is in use ({error.strerror}): is another `dagster-ecs dev` running? "
                "Stop it, or pass --port"
            ) from None


def run_dev(dags_dir: Path, host: str, port: int) -> None:
    """Replace this process with `dagster dev` on the generated workspace."""
    ensure_port_free(host, port)
    workspace_path, env = prepare_local_run(dags_dir, os.environ)
    # dagster dev starts one code server per location at startup and hands the webserver a workspace of those
    # servers (dagster/_cli/dev.py, _optionally_create_temp_workspace), so "Reload all" reloads the code of
    # known repositories but never re-reads our workspace.yaml: a new repository needs a restart.
    print("dagster-ecs: after new-repo, restart `dagster-ecs dev` to serve the new repository", file=sys.stderr)
    args = ["dagster", "dev", "--workspace", str(workspace_path), "--host", host, "--port", str(port)]
    os.execvpe(args[0], args, env)  # noqa: S606 - hands the terminal to dagster dev, as a user would


def _write_yaml(path: Path, content: dict[str, Any]) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(to_yaml(content))
    os.replace(tmp, path)
