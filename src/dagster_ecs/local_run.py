"""`dagster-ecs dev`: every repository as its own code location, the UI on http://localhost:3000."""

import os
from collections.abc import Mapping
from pathlib import Path

import yaml

from dagster_ecs.discovery import discover_repositories
from dagster_ecs.instance import DEFAULT_POSTGRES_PORT, POSTGRES_PORT_ENV, local_instance_config
from dagster_ecs.location import DAGS_DIR_ENV
from dagster_ecs.settings import default_dagster_home, settings_from_env
from dagster_ecs.workspace import local_workspace


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


def run_dev(dags_dir: Path, host: str, port: int) -> None:
    """Replace this process with `dagster dev` on the generated workspace."""
    workspace_path, env = prepare_local_run(dags_dir, os.environ)
    args = ["dagster", "dev", "--workspace", str(workspace_path), "--host", host, "--port", str(port)]
    os.execvpe(args[0], args, env)  # noqa: S606 - hands the terminal to dagster dev, as a user would


def _write_yaml(path: Path, content: object) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(content, sort_keys=False))
    os.replace(tmp, path)
