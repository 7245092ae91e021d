"""Apply one role the way site.yml does (ansible-playbook in a subprocess, optionally against the emulator) and
read what happened from the JSON callback. Shared by the role tests."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.calls import Call
from tests.support.moto_server import MotoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

TaskResult = dict[str, Any]


@dataclass(frozen=True)
class RoleRun:
    rc: int
    tasks: list[dict[str, Any]]  # the callback's entries, in the order the tasks ran
    stderr: str
    calls: list[Call] = field(default_factory=list)  # every call the run made to the emulator, when given one

    @property
    def failures(self) -> list[TaskResult]:
        return [result for result in self._results() if result.get("failed")]

    @property
    def changed(self) -> list[str]:
        """Names of the tasks that reported a change."""
        return [task["task"]["name"] for task in self.tasks if task["hosts"]["localhost"].get("changed")]

    @property
    def facts(self) -> dict[str, Any]:
        facts: dict[str, Any] = {}
        for result in self._results():
            facts.update(result.get("ansible_facts", {}))
        return facts

    @property
    def writes(self) -> list[Call]:
        return [call for call in self.calls if call.write]

    def results(self, name: str) -> list[TaskResult]:
        """The results of every task called `name`; the callback calls a role's task "<role> : <name>", and
        either form matches."""
        return [
            task["hosts"]["localhost"]
            for task in self.tasks
            if name in (task["task"]["name"], task["task"]["name"].split(" : ", 1)[-1])
        ]

    def result(self, name: str) -> TaskResult:
        [result] = self.results(name)
        return result

    def _results(self) -> list[TaskResult]:
        return [task["hosts"]["localhost"] for task in self.tasks]


def failure_message(failure: TaskResult) -> str:
    """The message of a failed task; a failed loop carries it in its items."""
    messages = [failure.get("msg", "")] + [item.get("msg", "") for item in failure.get("results", [])]
    return " ".join(str(message) for message in messages)


def run_json_playbook(
    work_dir: Path, arguments: list[str], env: dict[str, str], *, timeout: float = 300
) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    """`ansible-playbook -i localhost, ARGUMENTS` in `work_dir` with the checkout's roles and collections, an empty
    ansible.cfg there (not the checkout's: its profile_tasks callback would break the JSON) and `env` added; the
    run and what the JSON callback printed."""
    config = work_dir / "ansible.cfg"
    config.write_text("")
    completed = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", *arguments],
        cwd=work_dir,
        env={
            **os.environ,
            **env,
            "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"),
            "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / "collections"),
            "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
            "ANSIBLE_CONFIG": str(config),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_HOME": str(work_dir / ".ansible"),
            "ANSIBLE_NOCOLOR": "true",
        },
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    try:
        return completed, json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise AssertionError(f"ansible-playbook printed no JSON:\n{completed.stdout}\n{completed.stderr}") from None


def run_role(
    work_dir: Path,
    role: str,
    role_vars: dict[str, Any],
    *,
    aws: MotoServer | None = None,
    env: dict[str, str] | None = None,
    check: bool = False,
    post_tasks: list[dict[str, Any]] | None = None,
    timeout: float = 300,
) -> RoleRun:
    """Apply `role` to localhost with `role_vars` as play variables (`--check --diff` with `check`).

    With `aws`, the run is pointed at that emulator and its calls are recorded; `env` adds to the environment.
    """
    play = {
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "vars": role_vars,
        "roles": [role],
        "post_tasks": post_tasks or [],
    }
    work_dir.mkdir(parents=True, exist_ok=True)
    playbook = work_dir / "playbook.yml"
    playbook.write_text(json.dumps([play]))  # JSON is YAML
    arguments = [str(playbook), *(["--check", "--diff"] if check else [])]
    calls_before = len(aws.calls()) if aws else 0
    completed, output = run_json_playbook(
        work_dir, arguments, {**(aws.env() if aws else {}), **(env or {})}, timeout=timeout
    )
    return RoleRun(
        rc=completed.returncode,
        tasks=[task for play in output["plays"] for task in play["tasks"]],
        stderr=completed.stderr,
        calls=aws.calls()[calls_before:] if aws else [],
    )


def rejection(
    aws: MotoServer, work_dir: Path, role: str, role_vars: dict[str, Any], *, accepted: str = ""
) -> TaskResult:
    """Apply `role` expecting one task to refuse its input before any AWS call; return that task's result."""
    run = run_role(work_dir, role, role_vars, aws=aws)
    assert run.rc != 0, accepted or f"{role} accepted {role_vars}"
    [failure] = run.failures
    assert run.calls == [], "the role called AWS before rejecting its input"
    return failure


def checked(aws: MotoServer, work_dir: Path, role: str, role_vars: dict[str, Any], **options: Any) -> RoleRun:
    """Apply `role` under --check --diff: it must succeed and make no write call."""
    run = run_role(work_dir, role, role_vars, aws=aws, check=True, **options)
    assert run.rc == 0, run.failures
    assert run.writes == [], "write calls in check mode"
    return run
