"""Apply one role the way site.yml does (ansible-playbook in a subprocess, optionally against the emulator) and
read what happened from the JSON callback; or refuse many bad inputs in one run (`refusals`). Shared by the role
tests."""

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
    """`ansible-playbook -i localhost, ARGUMENTS` in `work_dir` with the checkout's roles, collections and strategy
    in an ansible.cfg there (not the checkout's: its profile_tasks callback would break the JSON) and `env` added;
    the run and what the JSON callback printed."""
    config = work_dir / "ansible.cfg"
    config.write_text("[defaults]\nstrategy = dagster_ecs.aws.mitogen_linear\n")  # the checkout's strategy
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


@dataclass(frozen=True)
class BadInput:
    """One bad-input case: `role` applied with `role_vars` must refuse them before any AWS call."""

    id: str
    role: str
    role_vars: dict[str, Any]


@dataclass(frozen=True)
class Refusal:
    """What one case of a `refusals` run did."""

    failures: list[TaskResult]  # every failed task of the case, in the order they ran
    recorded: TaskResult | None  # the failure the case's rescue recorded; None: the role accepted the input
    calls: list[Call]  # the calls the case made to the emulator


@dataclass(frozen=True)
class Refusals:
    """One ansible-playbook run of many bad-input cases against the emulator."""

    cases: dict[str, Refusal]  # by case id
    calls: list[Call]  # every call the whole run made to the emulator
    stderr: str

    def failure(self, case_id: str, *, accepted: str = "") -> TaskResult:
        """The one task that refused the case's input before any AWS call, as `rejection` returns it."""
        case = self.cases[case_id]
        assert case.recorded is not None, accepted or f"case {case_id} was accepted"
        [failure] = case.failures
        # The callback's result also names the action; the rescue's copy is the same failure without it.
        assert failure_message(failure) == failure_message(case.recorded), "the rescue recorded another failure"
        assert case.calls == [], f"the role called AWS before rejecting its input: {case.calls}"
        return failure


# The tasks of the playbook `refusals` writes, each named after its case: the callback's task list is cut there.
_APPLY = "Case {index}: apply {role}"
_REFUSED = "Case {index}: record the refusal"
_ACCEPTED = "Case {index}: record the acceptance"


def refusals(moto_server: MotoServer, work_dir: Path, cases: list[BadInput], *, timeout: float = 900) -> Refusals:
    """Apply each case's role with its vars in ONE ansible-playbook run against `moto_server`.

    Each case is a block: `include_role` with the case's vars (role params, so nothing a case before it set with
    set_fact can override them; the role's argument spec is validated when it is included, as a task of the
    block), and a rescue recording the failure and how far the emulator's call log had grown, so each case's calls
    are its own. The emulator's account is emptied first, as the `aws` fixture does for a single case. A case the
    role accepts runs the role for real (its test fails): the facts it sets may reach the cases after it.
    """
    if len({case.id for case in cases}) != len(cases):
        raise ValueError("case ids must be unique")
    moto_server.reset()
    call_log = moto_server.call_log
    call_log.touch()  # the emulator appends to it; the playbook reads its length after each case
    log_length = f"{{{{ lookup('ansible.builtin.file', {json.dumps(str(call_log))}, rstrip=False) | length }}}}"
    tasks = [
        {
            "name": f"Case {index}",
            "block": [
                {
                    "name": _APPLY.format(index=index, role=case.role),
                    "ansible.builtin.include_role": {"name": case.role},
                    "vars": case.role_vars,
                },
                {
                    "name": _ACCEPTED.format(index=index),
                    "ansible.builtin.debug": {"msg": {"log_length": log_length}},
                },
            ],
            "rescue": [
                {
                    "name": _REFUSED.format(index=index),
                    "ansible.builtin.debug": {
                        "msg": {"log_length": log_length, "failure": "{{ ansible_failed_result }}"},
                    },
                }
            ],
        }
        for index, case in enumerate(cases)
    ]
    play = {"hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}
    work_dir.mkdir(parents=True, exist_ok=True)
    playbook = work_dir / "refusals.yml"
    playbook.write_text(json.dumps([play]))  # JSON is YAML
    log_before = call_log.read_text()
    completed, output = run_json_playbook(work_dir, [str(playbook)], moto_server.env(), timeout=timeout)
    log = call_log.read_text()
    if completed.returncode != 0:
        raise AssertionError(f"the run of the bad-input cases failed outside them:\n{completed.stderr[-3000:]}")
    results = [(task["task"]["name"], task["hosts"]["localhost"]) for play in output["plays"] for task in play["tasks"]]
    return Refusals(
        cases=_cut(cases, results, log, len(log_before)),
        calls=_calls(log[len(log_before) :]),
        stderr=completed.stderr,
    )


def _cut(cases: list[BadInput], results: list[tuple[str, TaskResult]], log: str, start: int) -> dict[str, Refusal]:
    """Each case's failures, recorded refusal and calls, from the run's task results in order."""
    by_case: dict[str, Refusal] = {}
    names = [name for name, _ in results]
    for index, case in enumerate(cases):
        begin = names.index(_APPLY.format(index=index, role=case.role))
        ends = [_REFUSED.format(index=index), _ACCEPTED.format(index=index)]
        end = next(position for position in range(begin, len(names)) if names[position] in ends)
        name, record = results[end]
        failures = [result for _, result in results[begin:end] if result.get("failed")]
        length = int(record["msg"]["log_length"])
        by_case[case.id] = Refusal(
            failures=failures,
            recorded=record["msg"]["failure"] if name == ends[0] else None,
            calls=_calls(log[start:length]),
        )
        start = length
    return by_case


def _calls(log: str) -> list[Call]:
    return [Call(**json.loads(line)) for line in log.splitlines() if line]
