"""One-off ECS tasks as AWS runs them, where moto 5.2.5 differs (docs/moto-deviations.md, "ECS: one-off tasks").

RunTask of a task definition whose containers set no container-level memory (valid with task-level memory, as
every Fargate definition of this project) fails in moto with a 500 (TypeError adding None to the task's memory
requirement). AWS starts the task: container memory is optional when the task sets it.

Every container of a moto task reports exit code 0 from the moment the task is started. AWS reports no exit code
until the container has exited, and none at all for a container that never ran.

And the ECS agent's state-change API, which moto lacks.

On AWS the agent that runs a task's containers (on Fargate, AWS's own) reports their end with
SubmitTaskStateChange / SubmitContainerStateChange: the task becomes STOPPED, each container gets its exit code
and reason, and DescribeTasks shows them. moto runs no containers and answers both actions with 500 "not
implemented"; its tasks always report exit code 0. With these two actions a test harness can play the agent
through the agent's own API (tests/support/fargate_agent.py), so a module that waits for a one-off task and
reads its exit code is tested against the answers AWS gives.
"""

import copy
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.ecs.exceptions import EcsClientException
from moto.ecs.models import Container, EC2ContainerServiceBackend, Task, TaskDefinition
from moto.ecs.responses import EC2ContainerServiceResponse

# AWS's stop codes: an essential container exited (the normal end of a one-off task, whatever its exit code), or
# the task never got its containers running (image pull, EFS mount, ...), when no container reports an exit code.
ESSENTIAL_CONTAINER_EXITED = "EssentialContainerExited"
TASK_FAILED_TO_START = "TaskFailedToStart"


_MEMORY_KEYS = ("memory", "memoryReservation", "Memory", "MemoryReservation")
_original_requirements = EC2ContainerServiceBackend._calculate_task_resource_requirements


def _calculate_task_resource_requirements(task_definition: TaskDefinition) -> dict[str, Any]:
    """moto's placement requirements, counting a container without its own memory as 0 (the task's limit holds)."""
    containers: list[dict[str, Any]] = task_definition.container_definitions
    if all(any(key in c for key in _MEMORY_KEYS) for c in containers):
        return _original_requirements(task_definition)
    counted = copy.copy(task_definition)
    counted.container_definitions = [c if any(k in c for k in _MEMORY_KEYS) else {**c, "memory": 0} for c in containers]
    return _original_requirements(counted)


_original_container_init = Container.__init__


def _container_init(self: Container, task_def: TaskDefinition) -> None:
    """moto's container, without an exit code until one is reported (None is left out of the answer)."""
    _original_container_init(self, task_def)
    vars(self)["exitCode"] = None


def _task(self: EC2ContainerServiceResponse) -> Task:
    cluster = self.ecs_backend._get_cluster(self._get_param("cluster", "default"))
    wanted = str(self._get_param("task") or "")
    for arn, task in self.ecs_backend.tasks.get(cluster.name, {}).items():
        if wanted in (arn, task.task_arn) or arn.rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1]:
            return task
    raise EcsClientException(f"The referenced task was not found: {wanted}")


def _update_container(task: Task, change: dict[str, Any]) -> None:
    containers: list[Any] = task.containers  # moto's Container objects
    for container in containers:
        if container.name == change.get("containerName"):
            if change.get("status"):
                container.last_status = change["status"]
            if change.get("exitCode") is not None:
                container.exitCode = int(change["exitCode"])
            if change.get("reason"):
                vars(container)["reason"] = change["reason"]
            return
    raise EcsClientException(f"The task has no container named {change.get('containerName')!r}")


def _stop(task: Task, reason: str, exited: bool) -> None:
    now = datetime.now(UTC)
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_reason = reason or task.stopped_reason
    code = ESSENTIAL_CONTAINER_EXITED if exited else TASK_FAILED_TO_START
    vars(task).update(stop_code=code, execution_stopped_at=now, stopped_at=now)


def submit_task_state_change(self: EC2ContainerServiceResponse) -> ActionResult:
    task = _task(self)
    changes = self._get_param("containers") or []
    for change in changes:
        _update_container(task, change)
    status = self._get_param("status")
    if status == "STOPPED":
        _stop(task, self._get_param("reason") or "", exited=any(c.get("exitCode") is not None for c in changes))
    elif status:
        task.last_status = status
    return ActionResult({"acknowledgment": "true"})


def submit_container_state_change(self: EC2ContainerServiceResponse) -> ActionResult:
    task = _task(self)
    _update_container(
        task,
        {
            "containerName": self._get_param("containerName"),
            "status": self._get_param("status"),
            "exitCode": self._get_param("exitCode"),
            "reason": self._get_param("reason"),
        },
    )
    return ActionResult({"acknowledgment": "true"})


def apply() -> None:
    Container.__init__ = _container_init  # type: ignore[method-assign]
    requirements = staticmethod(_calculate_task_resource_requirements)
    setattr(EC2ContainerServiceBackend, "_calculate_task_resource_requirements", requirements)  # noqa: B010
    setattr(EC2ContainerServiceResponse, "submit_task_state_change", submit_task_state_change)  # noqa: B010 - new action
    setattr(EC2ContainerServiceResponse, "submit_container_state_change", submit_container_state_change)  # noqa: B010
