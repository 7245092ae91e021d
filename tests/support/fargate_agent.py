"""A stand-in for AWS's Fargate agent on the moto server, for tests of one-off tasks (the DAG publisher).

moto registers a RunTask but runs nothing: its tasks go straight to STOPPED with exit code 0 and never log. This
harness (test code only; the product never sees it) plays the part AWS plays:

- it holds tasks RUNNING until they end, through moto's state manager (`ecs::task` set to a manual transition
  that never advances by itself; see moto/moto_api/_internal/managed_state_model.py);
- for each new task of the cluster it runs the container's command (the task definition's, or RunTask's
  override) on this machine with the container's environment, `python` being this interpreter; a container path
  of a mount point in an argument is replaced by the local directory standing in for that volume, as a bind
  mount would;
- it writes the command's output lines to the container's awslogs stream `<prefix>/<container>/<task id>`;
- and reports the end through the agent's own API, SubmitTaskStateChange (the emulator implements it:
  emulator/corrections/ecs_agent.py), with the exit code, so DescribeTasks answers as AWS does.

`fail_to_start` makes the tasks stop without running, as a task whose EFS mount or image pull failed;
`hold` leaves them RUNNING, as a task that hangs.
"""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

NEVER = 10**9


@dataclass
class RanTask:
    """What the agent saw and did for one task."""

    task_arn: str
    command: list[str]
    exit_code: int | None
    lines: list[str]


@dataclass
class FargateAgent:
    endpoint_url: str
    cluster: str
    mounts: Mapping[str, Path]
    env: Mapping[str, str]
    fail_to_start: str | None = None
    hold: bool = False
    poll_interval: float = 0.1
    ran: list[RanTask] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _errors: list[BaseException] = field(default_factory=list)

    def run(self) -> None:
        ecs: Any = boto3.client("ecs", endpoint_url=self.endpoint_url)
        logs: Any = boto3.client("logs", endpoint_url=self.endpoint_url)
        seen: set[str] = set()
        while not self._stop.is_set() and not self.hold:
            try:
                # Tasks that ended before the agent started (an earlier run) are left alone.
                arns = ecs.list_tasks(cluster=self.cluster, desiredStatus="RUNNING")["taskArns"]
            except Exception as error:  # reported by the context manager, in the test's thread
                self._errors.append(error)
                return
            for arn in arns:
                if arn not in seen:
                    seen.add(arn)
                    try:
                        self.ran.append(self._play(ecs, logs, arn))
                    except Exception as error:
                        # End the task, so the module under test fails now instead of waiting for its timeout.
                        self._errors.append(error)
                        ecs.submit_task_state_change(
                            cluster=self.cluster, task=arn, status="STOPPED", reason=f"agent stand-in: {error!r}"
                        )
            time.sleep(self.poll_interval)

    def _play(self, ecs: Any, logs: Any, task_arn: str) -> RanTask:
        [task] = ecs.describe_tasks(cluster=self.cluster, tasks=[task_arn])["tasks"]
        definition = ecs.describe_task_definition(taskDefinition=task["taskDefinitionArn"])["taskDefinition"]
        [container] = definition["containerDefinitions"]
        overrides = {o["name"]: o for o in task.get("overrides", {}).get("containerOverrides", [])}
        command = overrides.get(container["name"], {}).get("command") or container.get("command") or []
        if self.fail_to_start is not None:
            ecs.submit_task_state_change(
                cluster=self.cluster,
                task=task_arn,
                status="STOPPED",
                reason=self.fail_to_start,
                containers=[{"containerName": container["name"], "status": "STOPPED", "reason": self.fail_to_start}],
            )
            return RanTask(task_arn, command, None, [])
        exit_code, lines = self._execute(command, container)
        options = container["logConfiguration"]["options"]
        stream = f"{options['awslogs-stream-prefix']}/{container['name']}/{task_arn.rsplit('/', 1)[-1]}"
        logs.create_log_stream(logGroupName=options["awslogs-group"], logStreamName=stream)
        if lines:
            now = int(time.time() * 1000)
            events = [{"timestamp": now, "message": line} for line in lines]
            logs.put_log_events(logGroupName=options["awslogs-group"], logStreamName=stream, logEvents=events)
        ecs.submit_task_state_change(
            cluster=self.cluster,
            task=task_arn,
            status="STOPPED",
            reason="Essential container in task exited",
            containers=[{"containerName": container["name"], "status": "STOPPED", "exitCode": exit_code}],
        )
        return RanTask(task_arn, command, exit_code, lines)

    def _execute(self, command: list[str], container: dict[str, Any]) -> tuple[int, list[str]]:
        local = [
            sys.executable if index == 0 and arg == "python" else self._local(arg) for index, arg in enumerate(command)
        ]
        environment = {item["name"]: item["value"] for item in container.get("environment", [])}
        completed = subprocess.run(
            local,
            env={**os.environ, **environment, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
        )
        return completed.returncode, completed.stdout.splitlines()

    def _local(self, argument: str) -> str:
        for container_path, directory in self.mounts.items():
            if argument == container_path or argument.startswith(f"{container_path}/"):
                return str(directory) + argument[len(container_path) :]
        return argument


def _set_transition(endpoint_url: str, action: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{endpoint_url}/moto-api/state-manager/{action}", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


@contextmanager
def fargate_agent(
    endpoint_url: str,
    cluster: str,
    mounts: Mapping[str, Path],
    env: Mapping[str, str],
    fail_to_start: str | None = None,
    hold: bool = False,
) -> Generator[FargateAgent]:
    """Run the agent in a thread for the block; tasks stay RUNNING until it ends them."""
    agent = FargateAgent(endpoint_url, cluster, mounts, env, fail_to_start, hold)
    _set_transition(
        endpoint_url,
        "set-transition",
        {"model_name": "ecs::task", "transition": {"progression": "manual", "times": NEVER}},
    )
    thread = threading.Thread(target=agent.run, name="fargate-agent", daemon=True)
    thread.start()
    try:
        yield agent
    finally:
        agent._stop.set()
        thread.join(timeout=30)
        _set_transition(endpoint_url, "unset-transition", {"model_name": "ecs::task"})
    if agent._errors:
        raise AssertionError(f"the Fargate agent stand-in failed: {agent._errors[0]!r}") from agent._errors[0]
