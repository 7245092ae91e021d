"""A role's outputs never share a name with any role's input: a fact set by `set_fact` (or a registered result)
beats the inventory, group_vars and role defaults, so an output named like an input would silently replace what the
operator set for every role applied after it (and for the same role when it runs again, as the teardown does)."""

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


@cache
def inputs() -> dict[str, set[str]]:
    """Every input name -> where it is declared: any entry point's argument spec options and defaults/main.yml."""
    declared: dict[str, set[str]] = {}
    for spec in sorted(ROLES.glob("*/meta/argument_specs.yml")):
        for entry_point, entry in (yaml.safe_load(spec.read_text())["argument_specs"] or {}).items():
            for name in entry.get("options") or {}:
                declared.setdefault(name, set()).add(f"{spec.relative_to(ROLES)} ({entry_point})")
    for defaults in sorted(ROLES.glob("*/defaults/main.yml")):
        for name in yaml.safe_load(defaults.read_text()) or {}:
            declared.setdefault(name, set()).add(str(defaults.relative_to(ROLES)))
    return declared


def set_names(tasks: Any) -> Iterator[str]:
    """The names `tasks` set: the keys of every set_fact and every `register`, inside blocks too."""
    for task in tasks or []:
        for section in ("block", "rescue", "always"):
            yield from set_names(task.get(section))
        for module in ("ansible.builtin.set_fact", "set_fact"):
            if isinstance(task.get(module), dict):
                yield from (name for name in task[module] if name != "cacheable")
        if "register" in task:
            yield task["register"]


@cache
def outputs() -> dict[str, set[str]]:
    """Every name a role's tasks set -> the task files that set it."""
    found: dict[str, set[str]] = {}
    for tasks in sorted(ROLES.glob("*/tasks/*.yml")):
        for name in set_names(yaml.safe_load(tasks.read_text())):
            found.setdefault(name, set()).add(str(tasks.relative_to(ROLES)))
    return found


def test_the_scan_sees_the_roles() -> None:
    declared, set_by_tasks = inputs(), outputs()
    assert "network_vpc_id" in declared, "argument specs not read"
    assert "storage_bucket_name" in declared, "defaults not read"
    assert "network_security_group_ids" in set_by_tasks, "set_fact not read"
    assert "_dags_staged" in set_by_tasks, "register not read"


def test_no_output_shares_its_name_with_an_input() -> None:
    declared = inputs()
    clashes = {
        name: f"set in {', '.join(sorted(files))}; an input in {', '.join(sorted(declared[name]))}"
        for name, files in outputs().items()
        if name in declared
    }
    assert clashes == {}, "name the output <role>_<thing>_out (docs/ansible-conventions.md)"
