"""The runner the module tests share (playbook.py): which tasks run in this process, and that doing so changes
neither the results nor anything the next call or test sees."""

import importlib
import locale
import os
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from ansible.module_utils import _internal

from tests.ansible_modules.playbook import PlaybookRunner, TaskResult, in_process_call, task

TASK_DEFINITION = "dagster_ecs.aws.ecs_task_definition"
FAMILY = "runner-test"
SPEC = {
    "family": FAMILY,
    "container_definitions": [{"name": "app", "image": "registry.example/app:1", "memory": 128}],
    "tags": {"Project": "dagster-ecs"},
}


def test_plain_calls_of_the_projects_modules_run_in_process_and_play_features_do_not() -> None:
    assert in_process_call(task(TASK_DEFINITION, SPEC)) == (TASK_DEFINITION, SPEC)
    assert in_process_call(task(TASK_DEFINITION, SPEC, check_mode=True, ignore_errors=True)) == (TASK_DEFINITION, SPEC)
    needs_a_play = [
        task(TASK_DEFINITION, SPEC, register="registered"),
        task(TASK_DEFINITION, {**SPEC, "family": "{{ registered.family }}"}),
        task(TASK_DEFINITION, {**SPEC, "tags": {"Project": ["{% if true %}x{% endif %}"]}}),
        task(TASK_DEFINITION, SPEC, module_defaults={"group/dagster_ecs.aws.aws": {"region": "eu-west-3"}}),
        task(TASK_DEFINITION, SPEC, check_mode="{{ ansible_check_mode }}"),
        task("ansible.builtin.set_fact", {"registered": {}}),
        task("amazon.aws.s3_bucket", {"name": "bucket"}),
    ]
    assert [in_process_call(needing) for needing in needs_a_play] == [None] * len(needs_a_play)


def without_timestamps(value: Any) -> Any:
    """`value` without registeredAt, the one thing that differs between two registrations of the same revision."""
    if isinstance(value, dict):
        return {key: without_timestamps(item) for key, item in value.items() if key != "registeredAt"}
    if isinstance(value, list):
        return [without_timestamps(item) for item in value]
    return value


def test_in_process_results_are_those_of_ansible_playbook(
    playbook: PlaybookRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if a test in this worker had imported Ansible's controller: module warnings would go to a Display.
    monkeypatch.setattr(_internal, "is_controller", True)
    tasks = [
        task(TASK_DEFINITION, SPEC, check_mode=True),
        task(TASK_DEFINITION, SPEC),
        task(TASK_DEFINITION, {"family": FAMILY, "state": "absent", "require_tags": {"Project": "someone-else"}}),
        task(TASK_DEFINITION, {**SPEC, "no_such_option": 1}, ignore_errors=True),
    ]
    results: dict[bool, list[TaskResult]] = {}
    for in_process in (True, False):
        playbook.server.reset()
        playbook.in_process = in_process
        results[in_process] = without_timestamps(playbook.run(tasks))
    assert results[True] == results[False]

    predicted, registered, kept, refused = results[True]
    assert predicted["changed"] is True
    assert (registered["changed"], registered["family_revision"]) == (True, f"{FAMILY}:1")
    assert registered["diff"]["before"] == {}
    assert kept["changed"] is False
    assert any("lacks the required tags" in warning for warning in kept["warnings"])
    assert refused["failed"] is True
    assert "no_such_option" in refused["msg"]
    assert "warnings" not in refused, "the previous call's warning is not repeated"


@pytest.fixture
def c_locale() -> Iterator[None]:
    """This process in the C locale, while the environment names another (AnsibleModule sets the environment's)."""
    saved = locale.setlocale(locale.LC_ALL)
    locale.setlocale(locale.LC_ALL, "C")
    yield
    locale.setlocale(locale.LC_ALL, saved)


def test_a_call_leaves_this_process_as_it_found_it(
    playbook: PlaybookRunner, c_locale: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    service = importlib.import_module("ansible_collections.dagster_ecs.aws.plugins.modules.ecs_service")
    before = (dict(os.environ), os.getcwd(), list(sys.argv), locale.setlocale(locale.LC_ALL))
    gone = {"name": "web", "cluster": "no-such-cluster", "state": "absent"}
    [result] = playbook.run([task("dagster_ecs.aws.ecs_service", gone)], check=True)
    assert result["changed"] is False
    assert (dict(os.environ), os.getcwd(), list(sys.argv), locale.setlocale(locale.LC_ALL)) == before
    # AnsibleModule fills a dict default of the argument spec in place: a run must not change the module's own.
    assert service.ARGUMENT_SPEC["deployment_configuration"]["default"] == {}
