"""Run tasks the way Ansible runs them: ansible-playbook in a subprocess, results read from the JSON callback."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.moto_server import MotoServer

COLLECTIONS_PATH = Path(__file__).resolve().parents[2] / "collections"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

Task = dict[str, Any]
TaskResult = dict[str, Any]


def task(module: str, args: dict[str, Any], **options: Any) -> Task:
    """One task calling `module` with `args`, plus task keywords such as check_mode or ignore_errors."""
    return {module: args, **options}


@dataclass
class PlaybookRunner:
    env: dict[str, str]
    work_dir: Path
    server: MotoServer

    def writes(self) -> list[str]:
        """Every write call the emulator has answered, as service:action."""
        return [f"{call.service}:{call.action}" for call in self.server.calls() if call.write]

    def write_count(self) -> int:
        return len(self.writes())

    def run(self, tasks: list[Task], *, check: bool = False, diff: bool = True) -> list[TaskResult]:
        """Run `tasks` in one play on localhost; return each task's result, in order.

        A failing task fails the test unless it sets `ignore_errors: true` (then its result has `failed`).
        When the run is in check mode (or every task is), it also fails if any write call reached the emulator.
        """
        writes_before = len(self.writes())
        play = {"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}
        playbook_path = self.work_dir / "playbook.yml"
        playbook_path.write_text(json.dumps([play], indent=2))  # JSON is YAML
        command = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(playbook_path)]
        if check:
            command.append("--check")
        if diff:
            command.append("--diff")
        completed = subprocess.run(
            command, cwd=self.work_dir, env=self._ansible_env(), capture_output=True, text=True, timeout=120
        )
        try:
            output = json.loads(completed.stdout)
        except json.JSONDecodeError:
            raise AssertionError(f"ansible-playbook printed no JSON:\n{completed.stdout}\n{completed.stderr}") from None
        results = [task["hosts"]["localhost"] for play in output["plays"] for task in play["tasks"]]
        if completed.returncode != 0:
            failures = [result for result in results if result.get("failed")]
            raise AssertionError(f"playbook failed (rc {completed.returncode}): {json.dumps(failures, indent=2)}")
        if check or all(task.get("check_mode") for task in tasks):
            assert self.writes()[writes_before:] == [], "write calls in check mode"
        return results

    def module(self, name: str, *, check: bool = False, ignore_errors: bool = False, **args: Any) -> TaskResult:
        """Run one module as a single task and return its result."""
        task: Task = {name: args}
        if ignore_errors:
            task["ignore_errors"] = True
        [result] = self.run([task], check=check)
        return result

    def _ansible_env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.env,
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_HOME": str(self.work_dir / ".ansible"),
            "ANSIBLE_NOCOLOR": "true",
        }
