"""services_cpu_architecture decides every task definition's runtime platform (the image role builds for it)."""

from pathlib import Path
from typing import Any

import pytest

from tests.roles.runner import checked, failure_message, rejection
from tests.roles.test_services_inputs import SERVICES_VALID
from tests.support.moto_server import MotoServer

TASK_DEFINITION_TASKS = [
    "Register the task definition of each code server",
    "Register the task definitions of the webserver and the daemon",
]


def runtime_platforms(role_vars: dict[str, Any], aws: MotoServer, tmp_path: Path) -> list[dict[str, Any]]:
    """The runtimePlatform of every task definition the services role would register (under --check --diff)."""
    run = checked(aws, tmp_path, "services", role_vars)
    results = [item for name in TASK_DEFINITION_TASKS for result in run.results(name) for item in result["results"]]
    assert len(results) == 4, "two code servers, the webserver and the daemon"
    return [item["diff"]["after"]["runtimePlatform"] for item in results]


@pytest.mark.parametrize("architecture", ["X86_64", "ARM64"])
def test_the_runtime_platform_follows_services_cpu_architecture(
    aws: MotoServer, tmp_path: Path, architecture: str
) -> None:
    platforms = runtime_platforms({**SERVICES_VALID, "services_cpu_architecture": architecture}, aws, tmp_path)
    assert platforms == [{"cpuArchitecture": architecture, "operatingSystemFamily": "LINUX"}] * 4


def test_the_default_is_x86_64(aws: MotoServer, tmp_path: Path) -> None:
    assert {p["cpuArchitecture"] for p in runtime_platforms(SERVICES_VALID, aws, tmp_path)} == {"X86_64"}


def test_an_unknown_architecture_fails_naming_the_variable(aws: MotoServer, tmp_path: Path) -> None:
    failure = rejection(aws, tmp_path, "services", {**SERVICES_VALID, "services_cpu_architecture": "AMD64"})
    assert "services_cpu_architecture" in failure_message(failure)
