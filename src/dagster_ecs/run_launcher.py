"""The ECS run launcher: a run always starts as its own code location's code-server task definition.

dagster-aws's EcsRunLauncher (dagster-aws 0.29.27, ecs/launcher.py, read for this) lets a run's tags rewrite the
RunTask call: `ecs/task_overrides` (taskRoleArn, executionRoleArn, ...), `ecs/container_overrides` (command,
environment, ...) and `ecs/run_task_kwargs` (taskDefinition, networkConfiguration, overrides, ...). The daemon
may pass every repository's task role, so a job of one repository could run with another's access. It also
takes the task definition from the code location's container context, which the code server (running the
repository's own DAG code) reports, and may register task definitions.

DagsterEcsRunLauncher closes both:
- A run whose tags hold any `ecs/` key other than the per-run sizes (`ecs/cpu`, `ecs/memory`,
  `ecs/ephemeral_storage`) or the launcher's own bookkeeping (`ecs/task_arn`, `ecs/cluster`, written after
  RunTask) is refused: launch_run raises, and DagsterInstance.launch_run (dagster 1.13.27,
  _core/instance/methods/run_launcher_methods.py) turns that into an engine error event with the message and
  marks the run failed; the queued-run daemon then drops it from the queue. No RunTask call is made.
- The task definition is always `<code_task_definition_prefix><code location>`, the code location name being
  the one the webserver/daemon's workspace gives the run (run.remote_job_origin), not anything the code server
  reports; no task definition is ever registered, and the container overridden is always `container_name`.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Self

from dagster import Field, StringSource
from dagster._core.launcher.base import LaunchRunContext, ResumeRunContext
from dagster._core.storage.dagster_run import DagsterRun
from dagster._serdes import ConfigurableClassData
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.ecs.container_context import EcsContainerContext

from dagster_ecs.names import InvalidNameError, validate_repository_name

# Tags EcsRunLauncher reads that only size the task (and cannot change its role, image, command or network),
# and the tags it writes itself once the task is started.
ALLOWED_ECS_TAGS = frozenset({"ecs/cpu", "ecs/memory", "ecs/ephemeral_storage", "ecs/task_arn", "ecs/cluster"})
ECS_TAG_PREFIX = "ecs/"


class RunTagRefusedError(Exception):
    """A run asked, through its tags, for a different task than its code location's own."""


def refused_tags(tags: Mapping[str, str]) -> list[str]:
    """The run tags that would change the launched task beyond its size, sorted."""
    return sorted(key for key in tags if key.startswith(ECS_TAG_PREFIX) and key not in ALLOWED_ECS_TAGS)


class DagsterEcsRunLauncher(EcsRunLauncher):
    """EcsRunLauncher that runs each run as its code location's `<prefix><location>` task definition, unchanged."""

    def __init__(
        self, code_task_definition_prefix: str, inst_data: ConfigurableClassData | None = None, **kwargs: Any
    ) -> None:
        if kwargs.get("task_definition") or kwargs.get("use_current_ecs_task_config", False):
            raise ValueError(
                "DagsterEcsRunLauncher takes no task_definition and needs use_current_ecs_task_config: false; "
                "runs always use <code_task_definition_prefix><code location>"
            )
        kwargs["use_current_ecs_task_config"] = False
        self.code_task_definition_prefix = code_task_definition_prefix
        super().__init__(inst_data=inst_data, **kwargs)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {
            **EcsRunLauncher.config_type(),
            "code_task_definition_prefix": Field(
                StringSource,
                is_required=True,
                description="Family prefix of the code servers' task definitions: a run of code location L "
                "runs as the latest revision of <prefix>L.",
            ),
        }

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData, config_value: Mapping[str, Any]) -> Self:
        return cls(inst_data=inst_data, **config_value)

    def task_definition_family(self, run: DagsterRun) -> str:
        """The code-server task definition family of the run's code location; raises if there is none."""
        origin = run.remote_job_origin
        if origin is None:
            raise RunTagRefusedError(
                f"Run {run.run_id} has no code location, so it has no task definition to run as: "
                "launch it from a code location of the workspace"
            )
        try:
            location = validate_repository_name(origin.location_name)
        except InvalidNameError as error:
            raise RunTagRefusedError(f"Run {run.run_id}: code location {origin.location_name!r}: {error}") from None
        return f"{self.code_task_definition_prefix}{location}"

    def check_run(self, run: DagsterRun) -> None:
        """Raise RunTagRefusedError when the run's tags would change its task beyond cpu, memory and storage."""
        refused = refused_tags(run.tags)
        if refused:
            raise RunTagRefusedError(
                f"Run {run.run_id} was refused: its tag(s) {', '.join(refused)} would change the ECS task it runs "
                f"as. A run always runs as its code location's task definition ({self.task_definition_family(run)}) "
                f"with that repository's task role, command and network; only the tags "
                f"{', '.join(sorted(ALLOWED_ECS_TAGS - {'ecs/task_arn', 'ecs/cluster'}))} may set its size. "
                "Remove the tag(s) and launch the run again."
            )
        self.task_definition_family(run)

    def launch_run(self, context: LaunchRunContext) -> None:
        self.check_run(context.dagster_run)
        super().launch_run(context)

    def resume_run(self, context: ResumeRunContext) -> None:
        self.check_run(context.dagster_run)
        super().resume_run(context)

    def get_container_name(self, container_context: EcsContainerContext) -> str:
        # Not the code location's container context: the code server's own process reports it.
        return self.container_name

    def _run_task_kwargs(
        self, run: DagsterRun, image: str | None, container_context: EcsContainerContext
    ) -> dict[str, Any]:
        # Replaces EcsRunLauncher._run_task_kwargs, which registers or reuses a task definition built from the
        # container context. The family name alone runs its latest ACTIVE revision.
        return {**self.run_task_kwargs, "taskDefinition": self.task_definition_family(run)}


__all__: Sequence[str] = ("ALLOWED_ECS_TAGS", "DagsterEcsRunLauncher", "RunTagRefusedError", "refused_tags")
