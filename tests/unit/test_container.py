"""The container entrypoint, run for real as `python -m dagster_ecs.container` in a subprocess."""

import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.workspace.config_schema import process_workspace_config

from dagster_ecs.config import to_yaml
from dagster_ecs.config.ecs_settings import EcsInstanceSettings
from dagster_ecs.config.instance import ecs_instance_config
from dagster_ecs.config.workspace import code_server_command, ecs_workspace
from dagster_ecs.container import main

PASSWORD = "container-pw-never-on-disk-71d2"
INSTANCE_YAML = to_yaml(
    ecs_instance_config(
        EcsInstanceSettings(
            region="ap-southeast-2",
            cluster="dagster-ecs-dev",
            subnets=("subnet-0123456789abcdef0",),
            security_groups=("sg-0a1b2c3d4e5f60718",),
            bucket="dagster-ecs-dev-data",
        )
    )
)
WORKSPACE_YAML = to_yaml(ecs_workspace(["main", "repo-2"], "dagster-ecs-dev.local"))
SERVICE_ENV = {
    "DAGSTER_ECS_INSTANCE_YAML": INSTANCE_YAML,
    "DAGSTER_ECS_WORKSPACE_YAML": WORKSPACE_YAML,
    "DAGSTER_POSTGRES_HOST": "db.internal",
    "DAGSTER_POSTGRES_PORT": "5432",
    "DAGSTER_POSTGRES_USER": "dagster",
    "DAGSTER_POSTGRES_DB": "dagster",
    "DAGSTER_POSTGRES_PASSWORD": PASSWORD,
    "AWS_DEFAULT_REGION": "ap-southeast-2",
}
# Set in the test runner's environment by other tests or by ECS itself; the entrypoint must not see them.
_SCRUBBED = ("DAGSTER_HOME", "DAGSTER_CONTAINER_CONTEXT", "ECS_CONTAINER_METADATA_URI_V4", *SERVICE_ENV)


def run_entrypoint(
    args: list[str], env: dict[str, str], path_prefix: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        key: value for key, value in os.environ.items() if key not in _SCRUBBED and not key.startswith("DAGSTER_ECS")
    }
    if path_prefix is not None:
        base["PATH"] = f"{path_prefix}{os.pathsep}{base.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, "-m", "dagster_ecs.container", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@dataclass
class Outcome:
    returncode: int
    stdout: str
    stderr: str

    def printed(self) -> dict:
        assert self.returncode == 0, self.stderr
        return json.loads(self.stdout)


@pytest.fixture
def entrypoint(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Outcome]:
    """`main()` in this process with exactly `env` (on top of the runner's), for the cases a subprocess
    would only make slower: each new Python process spends seconds importing dagster."""

    def run(args: list[str], env: dict[str, str]) -> Outcome:
        for key in list(os.environ):
            if key in _SCRUBBED or key.startswith("DAGSTER_ECS"):
                monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        code = main(["--dry-run", *args])
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def test_webserver_writes_both_files_and_listens_on_3000(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_entrypoint(["--dry-run", "webserver"], {**SERVICE_ENV, "DAGSTER_HOME": str(home)})
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["command"] == [
        "dagster-webserver",
        "-h",
        "0.0.0.0",  # noqa: S104 - the container listens on its own interface
        "-p",
        "3000",
        "-w",
        str(home / "workspace.yaml"),
    ]
    assert printed["environment"] == {}
    assert (home / "dagster.yaml").read_text() == INSTANCE_YAML
    assert (home / "workspace.yaml").read_text() == WORKSPACE_YAML
    assert PASSWORD not in (home / "dagster.yaml").read_text()
    dagster_instance_config(str(home))
    assert process_workspace_config(yaml.safe_load((home / "workspace.yaml").read_text())).success
    assert sorted(p.name for p in home.iterdir()) == ["dagster.yaml", "workspace.yaml"]  # no staging left over


def test_webserver_path_prefix_for_an_alb_path(tmp_path: Path, entrypoint: Callable[..., Outcome]) -> None:
    env = {**SERVICE_ENV, "DAGSTER_HOME": str(tmp_path), "DAGSTER_ECS_WEBSERVER_PATH_PREFIX": "/dagster"}
    assert entrypoint(["webserver"], env).printed()["command"][-2:] == ["--path-prefix", "/dagster"]
    env["DAGSTER_ECS_WEBSERVER_PATH_PREFIX"] = "dagster/"
    result = entrypoint(["webserver"], env)
    assert result.returncode == 2
    assert "DAGSTER_ECS_WEBSERVER_PATH_PREFIX='dagster/' is not a URL path prefix" in result.stderr


def test_daemon_runs_with_the_workspace(tmp_path: Path, entrypoint: Callable[..., Outcome]) -> None:
    printed = entrypoint(["daemon"], {**SERVICE_ENV, "DAGSTER_HOME": str(tmp_path)}).printed()
    assert printed["command"] == ["dagster-daemon", "run", "-w", str(tmp_path / "workspace.yaml")]
    assert (tmp_path / "dagster.yaml").is_file()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DAGSTER_ECS_INSTANCE_YAML": None}, "DAGSTER_ECS_INSTANCE_YAML is not set"),
        ({"DAGSTER_ECS_WORKSPACE_YAML": ""}, "DAGSTER_ECS_WORKSPACE_YAML is not set"),
        ({"DAGSTER_ECS_INSTANCE_YAML": "storage: [unclosed"}, "DAGSTER_ECS_INSTANCE_YAML is not valid YAML"),
        ({"DAGSTER_ECS_INSTANCE_YAML": "- a list"}, "DAGSTER_ECS_INSTANCE_YAML must be a YAML mapping"),
        ({"DAGSTER_ECS_INSTANCE_YAML": "telemetry: {enabled: false}\n"}, "DAGSTER_ECS_INSTANCE_YAML has no storage"),
        (
            {"DAGSTER_ECS_INSTANCE_YAML": INSTANCE_YAML + "no_such_setting: 1\n"},
            "DAGSTER_ECS_INSTANCE_YAML is not a valid dagster.yaml",
        ),
        (
            {"DAGSTER_ECS_INSTANCE_YAML": INSTANCE_YAML.replace("secrets_tag: null", "secrets_tags: null")},
            "DAGSTER_ECS_INSTANCE_YAML is not a valid dagster.yaml: dagster.yaml run_launcher",
        ),
        ({"DAGSTER_POSTGRES_HOST": None}, '"DAGSTER_POSTGRES_HOST" which is not set'),
        (
            {"DAGSTER_ECS_WORKSPACE_YAML": "load_from:\n- grpc_server: {hostname: x}\n"},
            "DAGSTER_ECS_WORKSPACE_YAML is not a valid workspace.yaml",
        ),
        ({"DAGSTER_HOME": None}, "DAGSTER_HOME is not set"),
        ({"DAGSTER_HOME": "relative/home"}, "DAGSTER_HOME='relative/home' is not an absolute path"),
    ],
)
def test_bad_configuration_names_the_variable_and_changes_nothing(
    tmp_path: Path, change: dict[str, str | None], message: str, entrypoint: Callable[..., Outcome]
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("previous: instance\n")
    env = {**SERVICE_ENV, "DAGSTER_HOME": str(home), **change}
    result = entrypoint(["webserver"], {k: v for k, v in env.items() if v is not None})
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert sorted(p.name for p in home.iterdir()) == ["dagster.yaml"]
    assert (home / "dagster.yaml").read_text() == "previous: instance\n"


def test_a_missing_variable_stops_the_real_process_before_anything_is_written(tmp_path: Path) -> None:
    env = {k: v for k, v in SERVICE_ENV.items() if k != "DAGSTER_ECS_WORKSPACE_YAML"}
    result = run_entrypoint(["daemon"], {**env, "DAGSTER_HOME": str(tmp_path / "home")})
    assert result.returncode == 2
    assert "DAGSTER_ECS_WORKSPACE_YAML is not set" in result.stderr
    assert not (tmp_path / "home").exists()


def test_code_server_reports_the_task_definition_runs_use(entrypoint: Callable[..., Outcome]) -> None:
    env = {"DAGSTER_ECS_RUN_TASK_DEFINITION": "dagster-ecs-dev-code-repo-2:7", "DAGSTER_ECS_RUN_CONTAINER_NAME": "code"}
    printed = entrypoint(
        ["code-server", "repo-2"], env
    ).printed()  # no DAGSTER_HOME, no instance: a code server needs neither
    assert printed["command"] == code_server_command("repo-2")
    context = json.loads(printed["environment"]["DAGSTER_CONTAINER_CONTEXT"])
    assert context == {"ecs": {"task_definition_arn": "dagster-ecs-dev-code-repo-2:7", "container_name": "code"}}


def test_code_server_off_ecs_adds_nothing_and_keeps_a_given_context(entrypoint: Callable[..., Outcome]) -> None:
    assert entrypoint(["code-server", "main"], {}).printed()["environment"] == {}
    given = json.dumps({"ecs": {"task_definition_arn": "x:1"}})
    assert entrypoint(["code-server", "main"], {"DAGSTER_CONTAINER_CONTEXT": given}).printed()["environment"] == {}
    result = entrypoint(["code-server", "main"], {"DAGSTER_CONTAINER_CONTEXT": "{not json"})
    assert result.returncode == 2
    assert "DAGSTER_CONTAINER_CONTEXT is not JSON" in result.stderr


@pytest.fixture
def task_metadata_endpoint() -> Iterator[str]:
    """A stand-in for the ECS task metadata endpoint v4: `${uri}` is the container, `${uri}/task` its task."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            documents = {
                "/v4/abc": {"Name": "code", "DockerId": "abc"},
                "/v4/abc/task": {"Family": "dagster-ecs-dev-code-main", "Revision": "12", "TaskARN": "arn:x"},
            }
            if self.path not in documents:
                self.send_error(404)
                return
            body = json.dumps(documents[self.path]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v4/abc"
    finally:
        server.shutdown()
        server.server_close()


def test_code_server_on_ecs_finds_its_own_task_definition(
    task_metadata_endpoint: str, entrypoint: Callable[..., Outcome]
) -> None:
    printed = entrypoint(["code-server", "main"], {"ECS_CONTAINER_METADATA_URI_V4": task_metadata_endpoint}).printed()
    context = json.loads(printed["environment"]["DAGSTER_CONTAINER_CONTEXT"])
    assert context == {"ecs": {"task_definition_arn": "dagster-ecs-dev-code-main:12", "container_name": "code"}}
    broken = entrypoint(["code-server", "main"], {"ECS_CONTAINER_METADATA_URI_V4": task_metadata_endpoint + "-gone"})
    assert broken.returncode == 2
    assert "set DAGSTER_ECS_RUN_TASK_DEFINITION instead" in broken.stderr


def test_code_server_rejects_an_invalid_repository(entrypoint: Callable[..., Outcome]) -> None:
    result = entrypoint(["code-server", "Repo_2"], {})
    assert result.returncode == 2
    assert "code-server: repository name 'Repo_2' is invalid" in result.stderr


def fake_program(directory: Path, name: str) -> None:
    """A stand-in for a server binary that reports how it was started, then exits."""
    program = directory / name
    program.write_text(
        "#!/bin/sh\n"
        'printf "%s\\n" "$0" "$@"\n'
        'echo "HOME=$DAGSTER_HOME"\n'
        'echo "CONTEXT=$DAGSTER_CONTAINER_CONTEXT"\n'
        'echo "PASSWORD_SET=${DAGSTER_POSTGRES_PASSWORD:+yes}"\n'
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)


def test_the_entrypoint_becomes_the_server_process(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("dagster-daemon", "dagster"):
        fake_program(bin_dir, name)
    home = tmp_path / "home"
    daemon = run_entrypoint(["daemon"], {**SERVICE_ENV, "DAGSTER_HOME": str(home)}, path_prefix=bin_dir)
    assert daemon.returncode == 0, daemon.stderr
    lines = daemon.stdout.splitlines()
    assert lines[:5] == [str(bin_dir / "dagster-daemon"), "run", "-w", str(home / "workspace.yaml"), f"HOME={home}"]
    assert "PASSWORD_SET=yes" in lines  # the server inherits the task's environment, secrets included
    code = run_entrypoint(["code-server", "main"], {"DAGSTER_ECS_RUN_TASK_DEFINITION": "fam:3"}, path_prefix=bin_dir)
    assert code.returncode == 0, code.stderr
    assert code.stdout.splitlines()[1:] == [
        *code_server_command("main")[1:],
        "HOME=",
        'CONTEXT={"ecs": {"task_definition_arn": "fam:3"}}',
        "PASSWORD_SET=",
    ]
