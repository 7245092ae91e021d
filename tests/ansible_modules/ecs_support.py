"""Fixtures for the ECS and Cloud Map module tests: the project's emulator (moto with every correction) and a
playbook runner that fails a check-mode run making any write call.

Import the fixtures into a test module: `from tests.ansible_modules.ecs_support import moto_server, playbook`.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.ansible_modules.playbook import PlaybookRunner, Task, TaskResult
from tests.support.moto_server import MotoServer, running_moto_server


@dataclass
class EmulatorPlaybook(PlaybookRunner):
    """PlaybookRunner whose check-mode runs must make no write call of any service (from the call log)."""

    server: MotoServer | None = None

    def writes(self) -> list[str]:
        assert self.server is not None
        return [f"{call.service}:{call.action}" for call in self.server.calls() if call.write]

    def run(self, tasks: list[Task], *, check: bool = False, diff: bool = True) -> list[TaskResult]:
        before = len(self.writes())
        results = super().run(tasks, check=check, diff=diff)
        if check or all(task.get("check_mode") for task in tasks):
            assert self.writes()[before:] == [], "write calls in check mode"
        return results

    def write_count(self) -> int:
        return len(self.writes())


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """The emulator with every correction (emulator.corrections), overriding the EFS-only server of conftest."""
    with running_moto_server(tmp_path_factory.mktemp("emulator")) as server:
        yield server


@pytest.fixture
def playbook(aws: MotoServer, tmp_path: Path) -> EmulatorPlaybook:
    return EmulatorPlaybook(env=aws.env(), work_dir=tmp_path, efs_requests=list, server=aws)


def task(module: str, args: dict[str, Any], **options: Any) -> Task:
    return {module: args, **options}
