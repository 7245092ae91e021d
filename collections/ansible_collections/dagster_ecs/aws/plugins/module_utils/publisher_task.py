# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A one-off Fargate task of a publisher task definition: run it with a command, wait for it, read its log.

Used by dag_apply's `fargate` mode: the operator's machine usually cannot reach EFS, so the apply runs inside the
VPC as a task of `<prefix>-publish-<repo>` (the Dagster image with the repository's access point mounted
read-write) and reports back through its exit code and its CloudWatch log.

A failed AWS call raises its service's error (AnsibleECSError, AnsibleLogsError); PublisherTaskError says that the
task could not do its work.
"""

import contextlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecs import (
    AnsibleECSError,
    describe_task,
    describe_task_definition,
    ecs_tag_list,
    run_task,
    stop_task,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.logs import log_messages

STARTED_BY = "dagster-ecs-publish"


class PublisherTaskError(Exception):
    """The task could not be started, failed, or did not finish in time; the message says which and why."""

    def __init__(self, message: str, task: dict[str, Any] | None = None, log_lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.task = task or {}
        self.log_lines = log_lines or []


@dataclass(frozen=True)
class Container:
    """What the task definition says about the container that runs the publisher."""

    name: str
    log_group: str
    log_stream_prefix: str
    writable_mounts: tuple[str, ...]


@dataclass
class Outcome:
    task: dict[str, Any]
    exit_code: int | None
    log_lines: list[str] = field(default_factory=list)


def task_id(task_arn: str) -> str:
    return task_arn.rsplit("/", 1)[-1]


def describe_container(ecs: Client, task_definition: str, wanted_name: str | None) -> tuple[str, Container]:
    """(ARN of the revision, its publisher container); fails when the definition or the container is missing."""
    definition = describe_task_definition(ecs, task_definition)
    if definition is None:
        raise PublisherTaskError(
            f"The publisher task definition {task_definition} does not exist (ECS has no active revision of it); "
            "run site.yml with the iam and services roles so it exists"
        )
    containers = definition.get("containerDefinitions") or []
    chosen = [c for c in containers if wanted_name in (None, c["name"])]
    if len(chosen) != 1:
        names = [c["name"] for c in containers]
        raise PublisherTaskError(
            f"{task_definition}: container {wanted_name or '(the only one)'} not found among {names}; "
            "set container_name"
        )
    container = chosen[0]
    options = (container.get("logConfiguration") or {}).get("options") or {}
    if (container.get("logConfiguration") or {}).get("logDriver") != "awslogs" or not options.get("awslogs-group"):
        raise PublisherTaskError(
            f"{task_definition}: container {container['name']} does not log to CloudWatch (awslogs), so a failure "
            "could not be reported with its log"
        )
    writable = tuple(m["containerPath"] for m in container.get("mountPoints") or [] if not m.get("readOnly"))
    return definition["taskDefinitionArn"], Container(
        name=container["name"],
        log_group=options["awslogs-group"],
        log_stream_prefix=options.get("awslogs-stream-prefix", ""),
        writable_mounts=writable,
    )


def start_task(
    ecs: Client,
    *,
    cluster: str,
    task_definition_arn: str,
    container: Container,
    command: list[str],
    subnets: list[str],
    security_groups: list[str],
    tags: dict[str, str],
) -> dict[str, Any]:
    """Start one task in private subnets without a public IP; returns the task as RunTask describes it."""
    request: dict[str, Any] = {
        "count": 1,
        "launchType": "FARGATE",
        "startedBy": STARTED_BY,
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": subnets, "securityGroups": security_groups, "assignPublicIp": "DISABLED"}
        },
        "overrides": {"containerOverrides": [{"name": container.name, "command": command}]},
        "enableECSManagedTags": True,
        "propagateTags": "TASK_DEFINITION",
    }
    if tags:
        request["tags"] = ecs_tag_list(tags)
    answer = run_task(ecs, cluster, task_definition_arn, request)
    if answer.get("failures") or not answer.get("tasks"):
        raise PublisherTaskError(
            f"ECS did not start {task_definition_arn} in cluster {cluster}: {answer.get('failures')}"
        )
    return answer["tasks"][0]


def wait_stopped(ecs: Client, cluster: str, task_arn: str, timeout: float, poll_interval: float) -> dict[str, Any]:
    """The task once it is STOPPED; after `timeout` seconds it is stopped and PublisherTaskError raised."""
    deadline = time.monotonic() + timeout
    while True:
        task = describe_task(ecs, cluster, task_arn)
        if task and task.get("lastStatus") == "STOPPED":
            return task
        if time.monotonic() >= deadline:
            break
        time.sleep(poll_interval)
    reason = f"dagster-ecs: the publish did not finish within {timeout:.0f}s"
    # A release is switched in by one atomic rename, so stopping mid-way leaves the old or the new one live. A
    # failure to stop it is not reported: the timeout is the error.
    with contextlib.suppress(AnsibleECSError):
        stop_task(ecs, cluster, task_arn, reason)
    raise PublisherTaskError(f"The publisher task {task_id(task_arn)} was stopped: {reason}", task or {})


def log_lines(logs: Client, container: Container, task_arn: str, limit: int) -> list[str]:
    """The last `limit` lines the container logged (awslogs stream `<prefix>/<container>/<task id>`)."""
    stream = "/".join(part for part in (container.log_stream_prefix, container.name, task_id(task_arn)) if part)
    messages = log_messages(logs, container.log_group, stream)
    if messages is None:
        return []  # the container never started, so it never logged
    lines = [message.rstrip("\n") for message in messages]
    return lines[-limit:] if limit > 0 else lines


def result_line(lines: list[str]) -> dict[str, Any] | None:
    """The JSON line `python -m dagster_ecs.publish` prints last on success ({"changed":.., "release":..})."""
    for line in reversed(lines):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict) and "release" in value:
            return value
    return None


def exit_code(task: dict[str, Any], container_name: str) -> int | None:
    for container in task.get("containers") or []:
        if container.get("name") == container_name:
            return container.get("exitCode")
    return None


def failure_message(task: dict[str, Any], container_name: str, lines: list[str]) -> str:
    """Why the task failed, in the words ECS used, followed by the container's last log lines."""
    code = exit_code(task, container_name)
    reasons = [
        f"exit code {code}" if code is not None else "the container did not run to completion (no exit code)",
        *[c.get("reason") for c in task.get("containers") or [] if c.get("name") == container_name and c.get("reason")],
        f"{task.get('stopCode', 'stopped')}: {task.get('stoppedReason', '')}".rstrip(": "),
    ]
    log = "\n".join(lines) if lines else "(the task wrote no log lines)"
    return f"The publisher task {task_id(task.get('taskArn', ''))} failed: {'; '.join(reasons)}. Its log:\n{log}"
