"""A run's step logs land under its code location's compute-log prefix, and the webserver reads them back.

The repository task role may write only `compute_logs/<repo>/*` and the dagster role reads `compute_logs/*`
(docs/iam.md); dagster-aws's S3ComputeLogManager writes `compute_logs/storage/<run id>/...`, which no role may
write. Here a real run worker (`dagster api execute_run`, as the ECS run task runs) executes a job of code
location `main` with the compute_logs block the ECS dagster.yaml has, against the emulator's S3 and a real
PostgreSQL; a second instance (the webserver's, its own local directory) answers the UI's GraphQL queries.
"""

import json
import logging
import textwrap
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from dagster import DagsterInstance, DagsterRunStatus
from dagster._core.scheduler.instigation import TickStatus
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import EmptyWorkspaceTarget, WorkspaceFileTarget
from dagster._daemon.sensor import execute_sensor_iteration
from dagster_graphql.test.utils import execute_dagster_graphql

from dagster_ecs.config.ecs_settings import EcsInstanceSettings
from dagster_ecs.config.instance import ecs_instance_config
from tests.support.moto_server import MotoServer
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.e2e

BUCKET = "dagster-ecs-test-compute-logs"
SETTINGS = EcsInstanceSettings(
    region="ap-southeast-2",
    cluster="dagster-ecs-test",
    subnets=("subnet-0123456789abcdef0",),
    security_groups=("sg-0123456789abcdef0",),
    bucket=BUCKET,
)
RUN_TIMEOUT = 180
STDOUT_MARKER = "compute-log stdout of main"
STDERR_MARKER = "compute-log stderr of main"
TICK_MARKER = "tick log line of main's sensor"

LOCATION_CODE = f"""
import sys

from dagster import DefaultSensorStatus, Definitions, SkipReason, job, op, sensor


@op
def shout():
    print({STDOUT_MARKER!r})
    print({STDERR_MARKER!r}, file=sys.stderr)


@job
def logs_job():
    shout()


@sensor(job=logs_job, default_status=DefaultSensorStatus.RUNNING, minimum_interval_seconds=1)
def chatty_sensor(context):
    context.log.info({TICK_MARKER!r})
    return SkipReason("nothing to do")


defs = Definitions(jobs=[logs_job], sensors=[chatty_sensor])
"""

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on Error { message }
  }
}
"""

# What the run page asks: the LOGS_CAPTURED events' file keys, then each key's logs and where they are stored.
CAPTURED_EVENTS = """
query Events($runId: ID!) {
  logsForRun(runId: $runId) {
    ... on EventConnection { events { __typename ... on LogsCapturedEvent { fileKey stepKeys } } }
  }
}
"""
# The sensor page's tick log dialog.
TICK_LOGS = """
query TickLogs($logKey: [String!]!) { capturedLogs(logKey: $logKey) { stderr } }
"""
RUN_LOGS = """
query Logs($runId: ID!, $fileKey: String!, $logKey: [String!]!) {
  runOrError(runId: $runId) { ... on Run { capturedLogs(fileKey: $fileKey) { stdout stderr } } }
  capturedLogsMetadata(logKey: $logKey) { stdoutLocation stderrLocation }
}
"""


def instance_dir(path: Path, postgres: PostgresServer, local_dir: Path) -> Path:
    """A DAGSTER_HOME with the ECS compute_logs block, PostgreSQL storage and runs launched as subprocesses."""
    compute_logs = ecs_instance_config(SETTINGS)["compute_logs"]
    # Each side stages logs in its own directory, so the reader can only find them in S3.
    compute_logs = {**compute_logs, "config": {**compute_logs["config"], "local_dir": str(local_dir)}}
    config: dict[str, Any] = {
        "telemetry": {"enabled": False},
        "storage": {
            "postgres": {
                "postgres_url": (
                    f"postgresql://{postgres.user}:{postgres.password}@{postgres.host}:{postgres.port}/"
                    f"{postgres.database}"
                )
            }
        },
        # On ECS the daemon dequeues and the ECS launcher starts the worker; here the default launcher starts
        # the same `dagster api execute_run` worker as a local process.
        "run_coordinator": {"module": "dagster._core.run_coordinator", "class": "DefaultRunCoordinator"},
        "compute_logs": compute_logs,
    }
    path.mkdir(parents=True)
    (path / "dagster.yaml").write_text(yaml.safe_dump(config))
    return path


def wait_for_run(instance: DagsterInstance, run_id: str) -> DagsterRunStatus:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            return run.status
        time.sleep(1)
    raise AssertionError(f"run {run_id} did not finish within {RUN_TIMEOUT}s")


def bucket_keys() -> list[str]:
    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


@pytest.fixture
def bucket(aws: MotoServer) -> str:
    """The bucket, with a policy denying uploads where main's repository role may not write compute logs.

    The emulator applies bucket policies to object requests, so such an upload fails as it would on AWS. It
    lists the denied prefixes (dagster-aws's own `compute_logs/storage/` and another location's) because moto
    5.2.5 reads a statement without `Resource` (a Deny with `NotResource`) as allowing everything; that the
    logs land nowhere but `compute_logs/main/` the tests assert from the bucket's listing.
    """
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": SETTINGS.region})
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OnlyMainsComputeLogs",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": [
                    f"arn:aws:s3:::{BUCKET}/compute_logs/storage/*",
                    f"arn:aws:s3:::{BUCKET}/compute_logs/analytics/*",
                ],
            }
        ],
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    with pytest.raises(ClientError, match="403"):
        s3.put_object(Bucket=BUCKET, Key="compute_logs/storage/probe/compute_logs/step.out", Body=b"denied")
    return BUCKET


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """workspace.yaml with one code location, `main`, served by a code server process Dagster starts."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "location.py").write_text(textwrap.dedent(LOCATION_CODE))
    path = tmp_path / "workspace.yaml"
    target = {"relative_path": str(code / "location.py"), "working_directory": str(code), "location_name": "main"}
    path.write_text(yaml.safe_dump({"load_from": [{"python_file": target}]}))
    return path


def test_run_logs_are_stored_under_the_code_location_and_read_back_by_the_webserver(
    tmp_path: Path, postgres: PostgresServer, bucket: str, workspace: Path
) -> None:
    worker_home = instance_dir(tmp_path / "worker", postgres, tmp_path / "worker-logs")
    webserver_home = instance_dir(tmp_path / "webserver", postgres, tmp_path / "webserver-logs")

    with (
        DagsterInstance.from_config(str(worker_home)) as instance,
        WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(workspace)])) as process_context,
    ):
        launched = execute_dagster_graphql(
            process_context.create_request_context(),
            LAUNCH,
            {
                "params": {
                    "selector": {
                        "repositoryLocationName": "main",
                        "repositoryName": "__repository__",
                        "jobName": "logs_job",
                    },
                    "runConfigData": {},
                }
            },
        )
        assert launched.data["launchRun"]["__typename"] == "LaunchRunSuccess", launched.data
        run_id = launched.data["launchRun"]["run"]["runId"]
        status = wait_for_run(instance, run_id)
        assert status == DagsterRunStatus.SUCCESS, instance.all_logs(run_id)[-10:]
        instance.run_launcher.join()
        setup_errors = [
            record.message
            for record in instance.all_logs(run_id)
            if "compute log" in (record.message or "").lower() and "exception" in (record.message or "").lower()
        ]
        assert not setup_errors, setup_errors

    keys = bucket_keys()
    run_prefix = f"compute_logs/main/storage/{run_id}/compute_logs/"
    assert keys, "the run wrote no compute logs to S3"
    # Only the location's own prefix: what the repository role may write.
    assert all(key.startswith(run_prefix) for key in keys), keys
    assert any(key.endswith(".out") for key in keys), keys
    assert any(key.endswith(".err") for key in keys), keys

    with (
        DagsterInstance.from_config(str(webserver_home)) as reader,
        WorkspaceProcessContext(reader, EmptyWorkspaceTarget()) as reader_context,
    ):
        context = reader_context.create_request_context()
        events = execute_dagster_graphql(context, CAPTURED_EVENTS, {"runId": run_id}).data["logsForRun"]["events"]
        captured = [event for event in events if event["__typename"] == "LogsCapturedEvent"]
        step = [event for event in captured if event["stepKeys"] == ["shout"]]
        assert step, f"no LOGS_CAPTURED event for step shout: {captured}"
        file_key = step[0]["fileKey"]
        result = execute_dagster_graphql(
            context, RUN_LOGS, {"runId": run_id, "fileKey": file_key, "logKey": [run_id, "compute_logs", file_key]}
        )
        assert not result.errors, result.errors
        logs = result.data["runOrError"]["capturedLogs"]
        assert STDOUT_MARKER in (logs["stdout"] or ""), logs
        assert STDERR_MARKER in (logs["stderr"] or ""), logs
        metadata = result.data["capturedLogsMetadata"]
        assert metadata["stdoutLocation"] == f"s3://{BUCKET}/{run_prefix}{file_key}.out"
        assert metadata["stderrLocation"] == f"s3://{BUCKET}/{run_prefix}{file_key}.err"


def test_sensor_tick_logs_are_stored_under_the_code_location_by_its_code_server(
    tmp_path: Path, postgres: PostgresServer, bucket: str, workspace: Path
) -> None:
    daemon_home = instance_dir(tmp_path / "daemon", postgres, tmp_path / "daemon-logs")
    webserver_home = instance_dir(tmp_path / "webserver", postgres, tmp_path / "webserver-logs")

    with (
        DagsterInstance.from_config(str(daemon_home)) as instance,
        WorkspaceProcessContext(instance, WorkspaceFileTarget(paths=[str(workspace)])) as process_context,
    ):
        # One iteration of the sensor daemon: the tick is evaluated by main's code server, which writes its log.
        list(execute_sensor_iteration(process_context, logging.getLogger("SensorDaemon"), None, None))
        ticks = [
            tick
            for state in instance.all_instigator_state()
            if state.instigator_name == "chatty_sensor"
            for tick in instance.get_ticks(state.instigator_origin_id, state.selector_id)
        ]
        assert len(ticks) == 1, ticks
        tick = ticks[0]
        assert tick.status == TickStatus.SKIPPED, tick.error
        assert tick.log_key, "the tick stored no log key"
        log_key = list(tick.log_key)

    keys = bucket_keys()
    assert keys == [f"compute_logs/main/storage/{'/'.join(log_key)}.err"], keys

    with (
        DagsterInstance.from_config(str(webserver_home)) as reader,
        WorkspaceProcessContext(reader, EmptyWorkspaceTarget()) as reader_context,
    ):
        result = execute_dagster_graphql(reader_context.create_request_context(), TICK_LOGS, {"logKey": log_key})
        assert not result.errors, result.errors
        assert TICK_MARKER in (result.data["capturedLogs"]["stderr"] or ""), result.data
