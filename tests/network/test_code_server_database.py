"""The code server connects to PostgreSQL itself: the daemon evaluates main's sensor in the code server, which
builds the instance from the daemon's instance ref, reads it (context.instance) and logs (context.log); the tick
and its log lines are stored. Real processes: PostgreSQL, `dagster code-server start`, `dagster-daemon run`."""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dagster import DagsterInstance
from dagster._core.scheduler.instigation import TickStatus

from dagster_ecs.config.instance import local_instance_config
from dagster_ecs.config.workspace import grpc_workspace
from tests.support.dagster_processes import DagsterProcesses, base_env
from tests.support.postgres import PostgresServer, running_postgres

pytestmark = pytest.mark.e2e

SENSOR = "main_instance_heartbeat"
TICK_TIMEOUT = 120
DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL server; fails (never skips) when the server binaries are missing."""
    with running_postgres() as server:
        yield server


def test_the_sensor_logs_and_reads_the_instance_from_the_code_server(
    tmp_path: Path, postgres: PostgresServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = base_env(
        {
            "DAGSTER_HOME": str(home),
            "DAGSTER_ECS_DAGS_DIR": str(DAGS_DIR),
            "DAGSTER_ECS_LOCAL_STORAGE": str(tmp_path / "objects"),
            **postgres.dagster_env(),
        }
    )
    config = local_instance_config(env)
    assert "postgres" in config["storage"]
    (home / "dagster.yaml").write_text(yaml.safe_dump(config, sort_keys=False))

    with DagsterProcesses(tmp_path / "logs", env, cwd=tmp_path) as processes:
        server = processes.code_server("main")
        processes.wait_code_server(server)
        workspace = tmp_path / "workspace.yaml"
        workspace.write_text(yaml.safe_dump(grpc_workspace({"main": ("127.0.0.1", server.port or 0)})))
        processes.daemon(workspace)

        for name, value in postgres.dagster_env().items():  # the test reads the same instance
            monkeypatch.setenv(name, value)
        instance = DagsterInstance.from_config(str(home))
        try:
            deadline = time.monotonic() + TICK_TIMEOUT
            ticks = []
            while time.monotonic() < deadline:
                states = [s for s in instance.all_instigator_state() if s.instigator_name == SENSOR]
                ticks = [
                    t
                    for s in states
                    for t in instance.get_ticks(s.instigator_origin_id, s.selector_id)
                    if t.status != TickStatus.STARTED
                ]
                if ticks:
                    break
                time.sleep(1)
            assert ticks, f"no finished tick of {SENSOR} in {TICK_TIMEOUT}s\n{processes.diagnostics()}"
            tick = ticks[0]
            assert tick.status == TickStatus.SKIPPED, f"{tick.status}: {tick.error}\n{processes.diagnostics()}"
            assert tick.skip_reason == "0 runs recorded; nothing to launch"
            assert tick.log_key, "the tick stored no log key: context.log lines are lost"
            stored = instance.compute_log_manager.get_log_data(tick.log_key)
            stderr = (stored.stderr or b"").decode()
            assert "instance heartbeat: 0 runs recorded" in stderr, stderr
        finally:
            instance.dispose()
