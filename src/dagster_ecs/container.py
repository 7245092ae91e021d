"""The container entrypoint of every ECS service: put the configuration in place, then become the server.

    python -m dagster_ecs.container webserver
    python -m dagster_ecs.container daemon
    python -m dagster_ecs.container code-server REPO

The webserver and the daemon read `DAGSTER_ECS_INSTANCE_YAML` and `DAGSTER_ECS_WORKSPACE_YAML` (the text the
`dagster_ecs.aws.dagster_config` lookup generated), validate them with Dagster's own schema and write
`$DAGSTER_HOME/dagster.yaml` and `$DAGSTER_HOME/workspace.yaml`; nothing is written when either is invalid.
A code server needs neither file: it tells Dagster which task definition runs its code (its own), so runs
of the repository get its task role and EFS access point. `--dry-run` prints the command and the
environment it adds as JSON instead of executing it.
"""

import argparse
import json
import os
import sys
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from dagster_ecs.config.workspace import code_server_command
from dagster_ecs.names import InvalidNameError, validate_repository_name

INSTANCE_ENV = "DAGSTER_ECS_INSTANCE_YAML"
WORKSPACE_ENV = "DAGSTER_ECS_WORKSPACE_YAML"
PATH_PREFIX_ENV = "DAGSTER_ECS_WEBSERVER_PATH_PREFIX"
RUN_TASK_DEFINITION_ENV = "DAGSTER_ECS_RUN_TASK_DEFINITION"
RUN_CONTAINER_NAME_ENV = "DAGSTER_ECS_RUN_CONTAINER_NAME"
CONTAINER_CONTEXT_ENV = "DAGSTER_CONTAINER_CONTEXT"
# Set by the ECS agent in every Fargate container (platform 1.4+).
METADATA_ENV = "ECS_CONTAINER_METADATA_URI_V4"
WEBSERVER_PORT = 3000


class ContainerConfigError(RuntimeError):
    """The container's environment cannot start the requested server; the message names the variable."""


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dagster_ecs.container", description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="print the command as JSON instead of running it")
    servers = parser.add_subparsers(dest="server", required=True)
    servers.add_parser("webserver", help="dagster-webserver on port 3000")
    servers.add_parser("daemon", help="dagster-daemon")
    code_server = servers.add_parser("code-server", help="one repository's gRPC code server on port 4000")
    code_server.add_argument("repository")
    args = parser.parse_args(argv)
    env = dict(os.environ if env is None else env)
    try:
        command, added_env = prepare(args.server, getattr(args, "repository", None), env)
    except ContainerConfigError as error:
        print(f"dagster_ecs.container: {error}", file=sys.stderr)
        return 2
    if args.dry_run:
        print(json.dumps({"command": command, "environment": added_env}))
        return 0
    sys.stdout.flush()
    os.execvpe(command[0], command, {**env, **added_env})  # noqa: S606 - the container becomes the server


def prepare(server: str, repository: str | None, env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """Write what `server` needs and return its command and the environment variables it adds."""
    if server == "code-server":
        try:
            validate_repository_name(repository or "")
        except InvalidNameError as error:
            raise ContainerConfigError(f"code-server: {error}") from None
        return code_server_command(repository or ""), code_server_environment(env)
    home = dagster_home(env)
    write_instance_files(home, env)
    workspace = str(home / "workspace.yaml")
    if server == "webserver":
        command = ["dagster-webserver", "-h", "0.0.0.0", "-p", str(WEBSERVER_PORT), "-w", workspace]  # noqa: S104
        prefix = env.get(PATH_PREFIX_ENV, "")
        if prefix:
            command += ["--path-prefix", validated_path_prefix(prefix)]
        return command, {}
    return ["dagster-daemon", "run", "-w", workspace], {}


def dagster_home(env: Mapping[str, str]) -> Path:
    value = env.get("DAGSTER_HOME", "")
    if not value:
        raise ContainerConfigError("DAGSTER_HOME is not set: set it to the directory for dagster.yaml")
    home = Path(value)
    if not home.is_absolute():
        raise ContainerConfigError(f"DAGSTER_HOME={value!r} is not an absolute path (Dagster requires one)")
    return home


def write_instance_files(home: Path, env: Mapping[str, str]) -> None:
    """Validate both documents first, then write both; a bad one leaves DAGSTER_HOME untouched."""
    instance_text, instance = _yaml_mapping(env, INSTANCE_ENV)
    workspace_text, workspace = _yaml_mapping(env, WORKSPACE_ENV)
    _validate_workspace(workspace)
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=home, prefix=".validate-") as staging:
        staged = Path(staging) / "dagster.yaml"
        staged.write_text(instance_text)
        _validate_instance(Path(staging), instance)
        (Path(staging) / "workspace.yaml").write_text(workspace_text)
        # Renames within one directory tree: a server never reads a half-written file.
        os.replace(staged, home / "dagster.yaml")
        os.replace(Path(staging) / "workspace.yaml", home / "workspace.yaml")


def code_server_environment(env: Mapping[str, str]) -> dict[str, str]:
    """`DAGSTER_CONTAINER_CONTEXT` naming the task definition and container that run this repository's code.

    Explicit settings win: `DAGSTER_CONTAINER_CONTEXT` as given, else `DAGSTER_ECS_RUN_TASK_DEFINITION` (and
    `DAGSTER_ECS_RUN_CONTAINER_NAME`); on ECS without either, the task's own definition from the task metadata
    endpoint. Off ECS (compose, a laptop) there is none and runs launch as the instance says.
    """
    if env.get(CONTAINER_CONTEXT_ENV):
        try:
            json.loads(env[CONTAINER_CONTEXT_ENV])
        except ValueError as error:
            raise ContainerConfigError(f"{CONTAINER_CONTEXT_ENV} is not JSON: {error}") from None
        return {}
    task_definition = env.get(RUN_TASK_DEFINITION_ENV, "")
    container_name = env.get(RUN_CONTAINER_NAME_ENV, "")
    if not task_definition and env.get(METADATA_ENV):
        task_definition, found_name = _task_definition_from_metadata(env[METADATA_ENV])
        container_name = container_name or found_name
    if not task_definition:
        return {}
    ecs: dict[str, str] = {"task_definition_arn": task_definition}
    if container_name:
        ecs["container_name"] = container_name
    return {CONTAINER_CONTEXT_ENV: json.dumps({"ecs": ecs})}


def validated_path_prefix(prefix: str) -> str:
    if not prefix.startswith("/") or prefix.endswith("/") or "//" in prefix or any(c.isspace() for c in prefix):
        raise ContainerConfigError(
            f"{PATH_PREFIX_ENV}={prefix!r} is not a URL path prefix: start with '/', no trailing '/', e.g. /dagster"
        )
    return prefix


def _yaml_mapping(env: Mapping[str, str], name: str) -> tuple[str, dict[str, Any]]:
    text = env.get(name, "")
    if not text.strip():
        raise ContainerConfigError(f"{name} is not set: the task definition must pass the generated YAML in it")
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ContainerConfigError(f"{name} is not valid YAML: {error}") from None
    if not isinstance(value, dict):
        raise ContainerConfigError(f"{name} must be a YAML mapping, got {type(value).__name__}")
    return text, value


def _validate_instance(directory: Path, instance: Mapping[str, Any]) -> None:
    from dagster_ecs.config import DeployConfigError
    from dagster_ecs.config.instance import validate_instance_directory

    if "storage" not in instance:
        raise ContainerConfigError(
            f"{INSTANCE_ENV} has no storage: services on ECS must share one PostgreSQL database, not a local file"
        )
    try:
        validate_instance_directory(directory)
    except DeployConfigError as error:
        raise ContainerConfigError(f"{INSTANCE_ENV} is not a valid dagster.yaml: {error}") from None


def _validate_workspace(workspace: Mapping[str, Any]) -> None:
    from dagster._core.workspace.config_schema import process_workspace_config

    result = process_workspace_config(dict(workspace))
    if not result.success:
        messages = "; ".join(error.message for error in result.errors or [])
        raise ContainerConfigError(f"{WORKSPACE_ENV} is not a valid workspace.yaml: {messages}")


def _task_definition_from_metadata(uri: str) -> tuple[str, str]:
    if not uri.startswith(("http://", "https://")):
        raise ContainerConfigError(f"{METADATA_ENV}={uri!r} is not an http URL")
    try:
        task = _get_json(f"{uri}/task")
        container = _get_json(uri)
        task_definition = f"{task['Family']}:{task['Revision']}"
        name = str(container["Name"])
    except (OSError, ValueError, KeyError) as error:
        raise ContainerConfigError(
            f"could not read this task's definition from {METADATA_ENV}={uri!r} ({type(error).__name__}: {error}); "
            f"set {RUN_TASK_DEFINITION_ENV} instead"
        ) from None
    return task_definition, name


def _get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - URL checked to be http(s) above
        return json.loads(response.read())


if __name__ == "__main__":
    sys.exit(main())
