"""Run tasks the way Ansible runs them, against the suite's emulator.

A run whose every task is a plain call of one of the project's modules (the module and its arguments, optionally
`check_mode` and `ignore_errors`, no Jinja) runs each module in this process, as ansible-test's unit tests do: its
arguments, with the internal `_ansible_*` ones ansible-playbook would add (check mode, diff), go in through
`ansible.module_utils.testing.patch_module_args`; the module runs as `__main__` from its collection path, as
AnsiballZ runs it; and the JSON that `exit_json` / `fail_json` print becomes the result the JSON callback would
have recorded. A module that raises instead of calling `fail_json` fails the test even under `ignore_errors`
(ansible-playbook would report a failed task).

Anything else (registered results and templating between tasks, `module_defaults`, other collections' modules and
actions) runs through ansible-playbook in a subprocess, its results read from the JSON callback. One run never
mixes the two. `DAGSTER_ECS_MODULES_IN_PROCESS=0` sends every run through ansible-playbook.
"""

import contextlib
import io
import json
import locale
import os
import runpy
import subprocess
import sys
import warnings
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from ansible.module_utils import _internal, basic
from ansible.module_utils._internal import _event_utils, _messages
from ansible.module_utils.common import warnings as module_warnings
from ansible.module_utils.common.json import Direction, get_module_decoder
from ansible.module_utils.testing import patch_module_args
from ansible.release import __version__

from tests.support.moto_server import MotoServer

COLLECTIONS_PATH = Path(__file__).resolve().parents[2] / "collections"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
IN_PROCESS_COLLECTION = "dagster_ecs.aws."
# The task keywords the in-process path honours; any other keyword (register, module_defaults, ...) needs a play.
IN_PROCESS_KEYWORDS = frozenset({"check_mode", "ignore_errors"})
JINJA_MARKERS = ("{{", "{%", "{#")
PROFILE = "legacy"  # the module serialization profile patch_module_args uses, as ansible-playbook does

if str(COLLECTIONS_PATH) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_PATH))  # ansible_collections.dagster_ecs.aws, beside the bundled collections

Task = dict[str, Any]
TaskResult = dict[str, Any]


def task(module: str, args: dict[str, Any], **options: Any) -> Task:
    """One task calling `module` with `args`, plus task keywords such as check_mode or ignore_errors."""
    return {module: args, **options}


def in_process_call(task: Task) -> tuple[str, dict[str, Any]] | None:
    """The module and arguments of a task that is a plain call of one of the project's modules, else None."""
    modules = [key for key in task if key not in IN_PROCESS_KEYWORDS]
    if len(modules) != 1 or not modules[0].startswith(IN_PROCESS_COLLECTION):
        return None
    [module] = modules
    args = task[module]
    if not isinstance(args, dict) or _templated(args):
        return None
    if not all(isinstance(task[keyword], bool) for keyword in IN_PROCESS_KEYWORDS & task.keys()):
        return None
    return module, args


def _templated(value: Any) -> bool:
    """Whether ansible-playbook would template something in `value` (a Jinja marker in any string)."""
    if isinstance(value, str):
        return any(marker in value for marker in JINJA_MARKERS)
    if isinstance(value, dict):
        return any(_templated(key) or _templated(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_templated(item) for item in value)
    return False


@dataclass
class PlaybookRunner:
    env: dict[str, str]
    work_dir: Path
    server: MotoServer
    in_process: bool = field(default_factory=lambda: os.environ.get("DAGSTER_ECS_MODULES_IN_PROCESS") != "0")

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
        calls = [in_process_call(task) for task in tasks]
        if self.in_process and all(call is not None for call in calls):
            results = self._run_in_process(tasks, check=check, diff=diff)
        else:
            results = self._run_playbook(tasks, check=check, diff=diff)
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

    def _run_in_process(self, tasks: list[Task], *, check: bool, diff: bool) -> list[TaskResult]:
        """Each task's module `main()` in this process, stopping at a failure as a play does."""
        results = []
        for task in tasks:
            call = in_process_call(task)
            assert call is not None
            module, args = call
            result = self._call_module(module, args, check=task.get("check_mode", check), diff=diff)
            results.append(result)
            if result.get("failed") and not task.get("ignore_errors"):
                raise AssertionError(f"task failed: {json.dumps([result], indent=2)}")
        return results

    def _call_module(self, module: str, args: dict[str, Any], *, check: bool, diff: bool) -> TaskResult:
        """Run `module` once with `args` and return its result as ansible-playbook's JSON callback shows it."""
        fqn = f"ansible_collections.dagster_ecs.aws.plugins.modules.{module.removeprefix(IN_PROCESS_COLLECTION)}"
        tmpdir = self.work_dir / ".ansible-module-tmp"
        tmpdir.mkdir(exist_ok=True)
        module_args = {
            **args,
            # What ActionBase._update_module_args adds for a local connection with ansible-core's defaults.
            "_ansible_check_mode": check,
            "_ansible_no_log": False,
            "_ansible_debug": False,
            "_ansible_diff": diff,
            "_ansible_verbosity": 0,
            "_ansible_version": __version__,
            "_ansible_module_name": module,
            "_ansible_syslog_facility": "LOG_USER",
            "_ansible_selinux_special_fs": ["fuse", "nfs", "vboxsf", "ramfs", "9p", "vfat"],
            "_ansible_socket": None,
            "_ansible_shell_executable": "/bin/sh",
            "_ansible_keep_remote_files": False,
            "_ansible_tmpdir": str(tmpdir),
            "_ansible_remote_tmp": "~/.ansible/tmp",
            "_ansible_ignore_unknown_opts": False,
            "_ansible_target_log_info": None,
            "_ansible_tracebacks_for": [],
            "_ansible_inject_invocation": False,
        }
        stdout = io.StringIO()
        exit_code: object = None
        crash: Exception | None = None
        with (
            _module_process(self.work_dir, self.env),
            patch_module_args(module_args),
            contextlib.redirect_stdout(stdout),
        ):
            try:
                # As AnsiballZ runs it: a fresh namespace each time, so nothing a run leaves in the module's
                # globals (AnsibleModule fills a dict default of the argument spec in place) reaches the next.
                with warnings.catch_warnings():  # that the module was imported as itself before does not matter here
                    warnings.filterwarnings("ignore", "'.*' found in sys.modules", RuntimeWarning)
                    runpy.run_module(fqn, run_name="__main__", alter_sys=True)
            except SystemExit as exit:
                exit_code = exit.code
            except Exception as error:  # raised instead of calling fail_json: a module bug, even under ignore_errors
                crash = error
        if crash is not None:
            raise AssertionError(f"{module} raised instead of failing through fail_json") from crash
        printed = [line for line in stdout.getvalue().splitlines() if line.startswith("{")]
        if not printed:
            raise AssertionError(f"{module} printed no JSON result (exit {exit_code!r}):\n{stdout.getvalue()}")
        return _as_callback_result(printed[-1], module)

    def _run_playbook(self, tasks: list[Task], *, check: bool, diff: bool) -> list[TaskResult]:
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
        return results

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


@contextlib.contextmanager
def _module_process(work_dir: Path, env: dict[str, str]) -> Generator[None]:
    """What a module's own process would start with, and everything a module run may change, put back after.

    The environment (the test's, with the runner's on top: the emulator's AWS_* variables), the working directory,
    argv (no pytest options), the locale (AnsibleModule sets it from the environment), the module-side globals of
    ansible.module_utils (the parsed arguments, the warnings and deprecations recorded for the result) and the
    controller flag: a controller module imported by another test in this process would send warnings to a
    Display instead of the result.
    """
    cwd = Path.cwd()
    saved_locale = locale.setlocale(locale.LC_ALL)
    with (
        mock.patch.dict(os.environ, env),
        mock.patch.object(sys, "argv", [sys.argv[0]]),  # run_module sets argv[0] to the module's file
        mock.patch.object(_internal, "is_controller", False),
        mock.patch.object(basic, "_PARSED_MODULE_ARGS", None),
        mock.patch.object(module_warnings, "_global_warnings", {}),
        mock.patch.object(module_warnings, "_global_deprecations", {}),
    ):
        os.chdir(work_dir)
        try:
            yield
        finally:
            os.chdir(cwd)
            locale.setlocale(locale.LC_ALL, saved_locale)


def _as_callback_result(printed: str, module: str) -> TaskResult:
    """The JSON a module printed, as ansible-playbook's JSON callback records it.

    The controller turns the module's warning and deprecation events into messages (and dicts), reports the
    exception of every failure as a traceback (none unless asked for), splits stdout and stderr into lines, and adds
    `changed` and the task's action.
    """
    result = json.loads(printed, cls=get_module_decoder(PROFILE, Direction.MODULE_TO_CONTROLLER))
    if "warnings" in result:
        result["warnings"] = [
            _event_utils.format_event_brief_message(item.event) if isinstance(item, _messages.WarningSummary) else item
            for item in result["warnings"]
        ]
    if "deprecations" in result:
        result["deprecations"] = [
            _deprecation(item) if isinstance(item, _messages.DeprecationSummary) else item
            for item in result["deprecations"]
        ]
    if result.get("failed") and not isinstance(result.get("exception"), str):
        result["exception"] = "(traceback unavailable)"
    for stream in ("stdout", "stderr"):
        if stream in result and f"{stream}_lines" not in result:
            result[f"{stream}_lines"] = (result[stream] or "").splitlines()
    result.setdefault("changed", False)
    result["action"] = module
    return result


def _deprecation(item: _messages.DeprecationSummary) -> dict[str, Any]:
    deprecation = _event_utils.deprecation_as_dict(item)
    if item.deprecator:
        deprecation["deprecator"] = {"resolved_name": item.deprecator.resolved_name, "type": item.deprecator.type}
    return deprecation
