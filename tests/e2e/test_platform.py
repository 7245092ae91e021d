"""The platform end to end: real PostgreSQL, code servers, webserver, daemon and `dagster-ecs dev`."""

import json
import shutil
import subprocess
import time
from contextlib import closing
from pathlib import Path

import psycopg2
import pytest
import yaml

from dagster_ecs.config.instance import local_instance_config
from dagster_ecs.config.workspace import grpc_workspace
from dagster_ecs.db_setup import MasterCredentials, create_dagster_schema
from dagster_ecs.discovery import discover_repositories
from tests.support.dagster_processes import (
    DagsterGraphQL,
    DagsterProcesses,
    base_env,
    live_family,
    venv_script,
)
from tests.support.ports import free_port, http_ok
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.e2e

# Generous bounds: on two busy cores, `dagster dev` alone starts a dozen Python processes. Quiet, each test
# takes about a minute.
RUN_TIMEOUT = 150
LOAD_TIMEOUT = 180
# The local run uses the in-process executor: one process per step would add seconds per step, and the run
# worker already loads the location afresh. The production-shaped test keeps the default executor.
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
QUEUED_HOLD = 3  # seconds a run must stay queued while no daemon runs
TEMPLATE_OUTPUT = Path("template", "output", "processed_data_2_records.json")
EXPECTED_RECORDS = [
    {"id": 1, "length": 5, "processed": True, "value": "data1"},
    {"id": 2, "length": 5, "processed": True, "value": "data2"},
]


class Phases:
    """Prints how long each phase took (shown with -s, and with a failing test's captured output)."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()

    def mark(self, phase: str) -> None:
        now = time.monotonic()
        print(f"[{now - self.start:6.1f}s] {phase} (+{now - self.last:.1f}s)")
        self.last = now


def event_kinds(graphql: DagsterGraphQL, run_id: str) -> list[str]:
    return [kind for kind, _ in graphql.run_events(run_id)]


def test_production_shaped_platform(tmp_path: Path, postgres: PostgresServer, dags_dir: Path) -> None:
    """Code servers per repository, webserver and daemon as on ECS, PostgreSQL storage, queued runs."""
    home, objects = tmp_path / "home", tmp_path / "objects"
    home.mkdir()
    env = base_env(
        {
            "DAGSTER_HOME": str(home),
            "DAGSTER_ECS_DAGS_DIR": str(dags_dir),
            "DAGSTER_ECS_LOCAL_STORAGE": str(objects),
            **postgres.dagster_env(),
        }
    )
    instance = local_instance_config(env)
    assert "postgres" in instance["storage"]
    assert "run_coordinator" not in instance, "the test relies on Dagster's default (queued) run coordinator"
    (home / "dagster.yaml").write_text(yaml.safe_dump(instance, sort_keys=False))

    repositories = [repository.name for repository in discover_repositories(dags_dir)]
    assert {"main", "analytics"} <= set(repositories)

    # On ECS the db-setup task makes Dagster's schema before any service starts; code servers starting together
    # on an empty database would race to create it (dagster_ecs.db_setup says why).
    database = MasterCredentials(postgres.user, postgres.password, postgres.host, postgres.port, postgres.database)
    assert create_dagster_schema(database, sslmode="prefer")

    phases = Phases()
    with DagsterProcesses(tmp_path / "logs", env, cwd=tmp_path) as processes:
        servers = {name: processes.code_server(name) for name in repositories}
        for server in servers.values():
            processes.wait_code_server(server)
        phases.mark("code servers serving")
        workspace = tmp_path / "workspace.yaml"
        ports = {name: ("127.0.0.1", server.port or 0) for name, server in servers.items()}
        workspace.write_text(yaml.safe_dump(grpc_workspace(ports), sort_keys=False))
        webserver = processes.webserver(workspace)
        graphql = DagsterGraphQL(webserver.url, processes.diagnostics)
        phases.mark("webserver answering")

        entries = graphql.wait_locations_settled(repositories, LOAD_TIMEOUT)
        for name in ("main", "analytics"):
            assert entries[name].loaded, f"location {name} failed to load: {entries[name].error}"
        assert "template_pipeline" in entries["main"].job_names()
        assert {"daily_metrics_pipeline", "storage_inventory_pipeline"} <= entries["analytics"].job_names()
        phases.mark("locations loaded")

        # Launched before the daemon runs: the queued run coordinator must hold the run until the daemon
        # dequeues it, so the run stays QUEUED until the daemon starts.
        run_id, launched_status = graphql.launch_run("main", "template_pipeline")
        assert launched_status == "QUEUED", "Dagster's default run coordinator should queue the run"
        time.sleep(QUEUED_HOLD)
        assert graphql.run_status(run_id) == "QUEUED", "the run left the queue without a daemon"
        processes.daemon(workspace)
        status, statuses = graphql.wait_run_finished(run_id, RUN_TIMEOUT)
        phases.mark(f"run {status} (daemon started after the run stayed queued)")
        assert status == "SUCCESS", f"statuses {statuses}\n{graphql.run_messages(run_id)}\n{processes.diagnostics()}"

        kinds = event_kinds(graphql, run_id)
        for kind in ("RunEnqueuedEvent", "RunStartingEvent", "RunStartEvent", "RunSuccessEvent"):
            assert kind in kinds, f"{kind} missing from the run's events: {kinds}"
        # RunStarting after RunEnqueued is the queued-run daemon dequeuing and launching the run.
        assert kinds.index("RunEnqueuedEvent") < kinds.index("RunStartingEvent") < kinds.index("RunSuccessEvent")
    phases.mark("processes stopped")

    with closing(psycopg2.connect(postgres.dsn())) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT pipeline_name, status FROM runs WHERE run_id = %s", (run_id,))
        assert cursor.fetchall() == [("template_pipeline", "SUCCESS")]
        cursor.execute("SELECT dagster_event_type FROM event_logs WHERE run_id = %s ORDER BY id", (run_id,))
        stored = [row[0] for row in cursor.fetchall()]
    assert {"PIPELINE_ENQUEUED", "PIPELINE_STARTING", "PIPELINE_SUCCESS"} <= set(stored), stored

    output = objects / "repos" / "main" / TEMPLATE_OUTPUT
    assert output.is_file(), f"no template output at {output}; objects: {sorted(map(str, objects.rglob('*')))}"
    assert json.loads(output.read_text()) == EXPECTED_RECORDS


def test_dagster_ecs_dev(tmp_path: Path, dags_dir: Path) -> None:
    """`dagster-ecs dev` on a copy of dags/ plus a scaffolded `repo-2` and a repository that fails to load."""
    dags = tmp_path / "dags"
    shutil.copytree(dags_dir, dags, ignore=shutil.ignore_patterns("__pycache__"))
    home = tmp_path / "home"
    env = base_env({"DAGSTER_HOME": str(home)})
    dagster_ecs = venv_script("dagster-ecs")

    scaffold = subprocess.run(
        [dagster_ecs, "--dags-dir", str(dags), "new-repo", "repo-2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    phases = Phases()
    assert scaffold.returncode == 0, scaffold.stderr
    assert (dags / "repo-2" / "repo_2.py").is_file(), scaffold.stdout
    broken_file = dags / "broken" / "broken_dag.py"
    broken_file.parent.mkdir()
    broken_file.write_text("from dagster import asset\n\n\n@asset\ndef broken_asset(:\n    return 1\n")

    port = free_port()
    command = [dagster_ecs, "--dags-dir", str(dags), "dev", "--port", str(port), "--host", "127.0.0.1"]
    with DagsterProcesses(tmp_path / "logs", env, cwd=tmp_path) as processes:
        dev = processes.start("dagster-ecs-dev", command, port=port)
        dev.wait_ready(lambda: http_ok(f"{dev.url}/server_info"), LOAD_TIMEOUT, "/server_info answering")
        graphql = DagsterGraphQL(dev.url, processes.diagnostics)
        phases.mark("dagster dev answering")

        entries = graphql.wait_locations_settled(["main", "analytics", "repo-2", "broken"], LOAD_TIMEOUT)
        for name in ("main", "analytics", "repo-2"):
            assert entries[name].loaded, f"location {name} failed to load: {entries[name].error}"
        assert "template_pipeline" in entries["main"].job_names()
        assert {"daily_metrics_pipeline", "storage_inventory_pipeline"} <= entries["analytics"].job_names()
        assert "repo_2_pipeline" in entries["repo-2"].job_names()
        broken = entries["broken"]
        assert not broken.loaded
        assert broken.error is not None
        assert str(broken_file) in broken.error, broken.error
        phases.mark("locations loaded")

        run_id, _ = graphql.launch_run("repo-2", "repo_2_pipeline", run_config=IN_PROCESS)
        status, statuses = graphql.wait_run_finished(run_id, RUN_TIMEOUT)
        phases.mark(f"run {status}")
        assert status == "SUCCESS", f"statuses {statuses}\n{graphql.run_messages(run_id)}\n{processes.diagnostics()}"
        output = home / "objects" / "repos" / "repo-2" / "repo_2" / "output" / "processed_data_2_records.json"
        assert json.loads(output.read_text()) == EXPECTED_RECORDS

        dev.remember_children()
        assert len(dev.seen) > 1, "dagster dev should have started the webserver and daemon as children"
        processes.stop_all()
        phases.mark("process group stopped")

    leftovers = live_family(dev.pid, dev.seen)
    assert not leftovers, f"processes of dagster dev left behind: {leftovers}"
