"""Run tasks the way Ansible runs them: ansible-playbook in a subprocess, results read from the JSON callback."""

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

COLLECTIONS_PATH = Path(__file__).resolve().parents[2] / "collections"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

Task = dict[str, Any]
TaskResult = dict[str, Any]
# EFS reads are GETs; every other method is a write.
READ_METHODS = {"GET", "HEAD"}


@dataclass
class PlaybookRunner:
    env: dict[str, str]
    work_dir: Path
    efs_requests: Callable[[], list[tuple[str, str]]]

    def run(self, tasks: list[Task], *, check: bool = False, diff: bool = True) -> list[TaskResult]:
        """Run `tasks` in one play on localhost; return each task's result, in order.

        A failing task fails the test unless it sets `ignore_errors: true` (then its result has `failed`).
        When the whole run is in check mode, it also fails if any EFS write request reached the server.
        """
        requests_before = len(self.efs_requests())
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
        if check:
            writes = [request for request in self.efs_requests()[requests_before:] if request[0] not in READ_METHODS]
            assert writes == [], f"EFS write requests in check mode: {writes}"
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
