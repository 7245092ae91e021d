"""dagster_ecs.aws.dag_apply in Fargate mode: the one-off publisher task, against the emulator.

moto runs no containers, so tests/support/fargate_agent.py plays Fargate's agent: it runs the task's command
(`python -m dagster_ecs.publish apply ...`, the real CLI) on this machine with a local directory standing in for
the EFS mount, writes its output to the task's CloudWatch log stream and reports the exit code through ECS's
SubmitTaskStateChange. What is asserted is what the module asked ECS for (moto's record of the RunTask request)
and what it made of ECS's and CloudWatch's answers.

The first test wires the two modules as a playbook does (dag_publish's result registered, its manifest key
templated into dag_apply), so it runs through ansible-playbook; the others pass the staged key themselves and run
in-process (playbook.py).
"""

import json
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest

from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import live_manifest
from tests.ansible_modules.playbook import PlaybookRunner, Task, TaskResult, task
from tests.support.fargate_agent import fargate_agent
from tests.support.publisher_stack import BUCKET, CLUSTER, DAGS_DIR, PublisherStack, make_publisher_stack

FAMILY = "dagster-ecs-test-publish-main"
MOUNT = f"{DAGS_DIR}/main"
APPLY = "dagster_ecs.aws.dag_apply"
PUBLISH = "dagster_ecs.aws.dag_publish"


@pytest.fixture
def stack(playbook: PlaybookRunner, tmp_path: Path) -> PublisherStack:
    """What site.yml would have made for repository main (tests/support/publisher_stack.py)."""
    return make_publisher_stack(tmp_path, ["main"])


def stage(stack: PublisherStack, **options: Any) -> Task:
    args = {"repository": "main", "source": str(stack.sources / "main"), "bucket": BUCKET, "preflight": False}
    return task(PUBLISH, args, **options)


def fargate(stack: PublisherStack, manifest_key: str | None, **extra: Any) -> Task:
    options = {key: extra.pop(key) for key in ("ignore_errors",) if key in extra}
    args = {
        "repository": "main",
        "bucket": BUCKET,
        "manifest_key": manifest_key,
        "cluster": CLUSTER,
        "task_definition": FAMILY,
        "subnets": stack.subnet_ids,
        "security_groups": stack.security_group_ids,
        "tags": {"Repository": "main"},
        "poll_interval": 0.5,
        **extra,
    }
    if manifest_key is None:
        del args["manifest_key"]
    return task(APPLY, args, **options)


def stage_and_apply(
    playbook: PlaybookRunner, stack: PublisherStack, *, check: bool = False, **extra: Any
) -> tuple[TaskResult, TaskResult]:
    """dag_publish, then dag_apply in Fargate mode with the manifest key it staged."""
    [staged] = playbook.run([stage(stack)], check=check)
    [applied] = playbook.run([fargate(stack, staged["manifest_key"], **extra)], check=check)
    return staged, applied


def live_json() -> dict[str, Any] | None:
    s3: Any = boto3.client("s3")
    try:
        return json.loads(s3.get_object(Bucket=BUCKET, Key="deployments/main/live.json")["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def recorded_tasks(endpoint_url: str) -> list[dict[str, Any]]:
    """The tasks as moto stored them from the RunTask requests (its model data, /moto-api/data.json)."""
    with urllib.request.urlopen(f"{endpoint_url}/moto-api/data.json", timeout=10) as response:
        return json.load(response)["ecs"]["Task"]


def run_task_calls(playbook: PlaybookRunner) -> int:
    return sum(1 for call in playbook.server.calls() if call.action == "RunTask")


def test_the_publisher_task_applies_the_staged_release_and_is_not_started_again(
    playbook: PlaybookRunner, stack: PublisherStack
) -> None:
    with fargate_agent(playbook.server.endpoint_url, CLUSTER, stack.mounts, playbook.env) as agent:
        staged, applied = playbook.run([stage(stack, register="staged"), fargate(stack, "{{ staged.manifest_key }}")])
    assert applied["changed"] is True
    assert "template_dag.py" in applied["files"]["added"]
    assert applied["release"].endswith(staged["digest"][:12])
    assert live_manifest(stack.efs / "main") == build_manifest(stack.sources / "main")
    assert live_json() == json.loads(build_manifest(stack.sources / "main").to_json())
    assert any(json.loads(line).get("release") == applied["release"] for line in applied["log_lines"])

    [ran] = agent.ran
    assert ran.exit_code == 0
    assert ran.command == [
        "python", "-m", "dagster_ecs.publish", "apply", "--bucket", BUCKET, "--repository", "main",
        "--manifest-key", staged["manifest_key"], "--target", MOUNT, "--keep", "5", "--lock-timeout", "600",
    ]  # fmt: skip
    [recorded] = recorded_tasks(playbook.server.endpoint_url)
    assert recorded["launch_type"] == "FARGATE"
    assert recorded["network_configuration"] == {
        "awsvpcConfiguration": {
            "subnets": stack.subnet_ids,
            "securityGroups": stack.security_group_ids,
            "assignPublicIp": "DISABLED",
        }
    }
    assert recorded["task_definition_arn"].endswith(f"task-definition/{FAMILY}:1")
    assert {"key": "Repository", "value": "main"} in recorded["tags"]

    runs_before = run_task_calls(playbook)
    _, again = playbook.run([stage(stack, register="staged"), fargate(stack, "{{ staged.manifest_key }}")])
    assert again["changed"] is False
    assert run_task_calls(playbook) == runs_before, "live.json equals the manifest: no task is started"


def test_check_mode_reports_the_files_and_starts_nothing(playbook: PlaybookRunner, stack: PublisherStack) -> None:
    runs_before = run_task_calls(playbook)
    _, checked = stage_and_apply(playbook, stack, check=True)
    assert checked["changed"] is True
    assert checked["files"] == {"added": [], "changed": [], "removed": []}, "the manifest was not uploaded"
    playbook.run([stage(stack)])
    _, checked = stage_and_apply(playbook, stack, check=True)
    assert "template_dag.py" in checked["files"]["added"]
    assert run_task_calls(playbook) == runs_before


def test_a_failing_apply_fails_the_task_with_its_log_lines(playbook: PlaybookRunner, stack: PublisherStack) -> None:
    [staged] = playbook.run([stage(stack)])
    manifest = build_manifest(stack.sources / "main")
    lost = manifest.files["template_dag.py"].sha256
    boto3.client("s3").delete_object(Bucket=BUCKET, Key=f"deployments/main/blobs/{lost}")
    with fargate_agent(playbook.server.endpoint_url, CLUSTER, stack.mounts, playbook.env) as agent:
        [failed] = playbook.run([fargate(stack, staged["manifest_key"], ignore_errors=True)])
    [ran] = agent.ran
    assert ran.exit_code == 1
    assert failed["failed"] is True
    assert "exit code 1" in failed["msg"]
    assert "EssentialContainerExited" in failed["msg"]
    assert "template_dag.py" in failed["msg"], failed["msg"]
    assert "not staged" in failed["msg"], failed["msg"]
    assert any("not staged" in line for line in failed["log_lines"])
    assert live_manifest(stack.efs / "main") is None, "nothing went live"
    assert live_json() is None


def test_a_task_that_never_runs_fails_with_ecs_reason(playbook: PlaybookRunner, stack: PublisherStack) -> None:
    reason = "ResourceInitializationError: failed to invoke EFS utils commands to set up EFS volumes"
    with fargate_agent(playbook.server.endpoint_url, CLUSTER, stack.mounts, playbook.env, fail_to_start=reason):
        _, failed = stage_and_apply(playbook, stack, ignore_errors=True)
    assert failed["failed"] is True
    assert "no exit code" in failed["msg"]
    assert "TaskFailedToStart" in failed["msg"]
    assert reason in failed["msg"]
    assert "(the task wrote no log lines)" in failed["msg"]


def test_a_task_that_does_not_finish_is_stopped(playbook: PlaybookRunner, stack: PublisherStack) -> None:
    with fargate_agent(playbook.server.endpoint_url, CLUSTER, stack.mounts, playbook.env, hold=True):
        _, failed = stage_and_apply(playbook, stack, wait_timeout=2, ignore_errors=True)
    assert failed["failed"] is True
    assert "did not finish within 2s" in failed["msg"]
    [recorded] = recorded_tasks(playbook.server.endpoint_url)
    assert recorded["desired_status"] == "STOPPED"


def test_rollback_runs_in_a_task_and_records_the_earlier_release_as_live(
    playbook: PlaybookRunner, stack: PublisherStack
) -> None:
    first = build_manifest(stack.sources / "main")
    rollback = fargate(stack, None, action="rollback")
    with fargate_agent(playbook.server.endpoint_url, CLUSTER, stack.mounts, playbook.env) as agent:
        stage_and_apply(playbook, stack)
        (stack.sources / "main" / "extra.py").write_text("VALUE = 1\n")
        stage_and_apply(playbook, stack)
        [rolled] = playbook.run([rollback])
    assert agent.ran[-1].command == ["python", "-m", "dagster_ecs.publish", "rollback", MOUNT, "--lock-timeout", "600"]
    assert rolled["changed"] is True
    assert rolled["files"]["removed"] == ["extra.py"]
    assert live_manifest(stack.efs / "main") == first
    assert live_json() == json.loads(first.to_json())
