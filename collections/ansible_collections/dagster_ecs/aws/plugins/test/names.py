# The platform's name rules as Jinja tests, so every role's validation applies the one rule dagster_ecs.names
# defines instead of a regex of its own:
#   that: item is dagster_ecs.aws.repository_name
#   that: cluster_name_prefix is dagster_ecs.aws.name_prefix(max_length=200)
# Their documentation is in the sidecar files repository_name.yml and name_prefix.yml.

from collections.abc import Callable
from types import ModuleType
from typing import Any

from ansible.errors import AnsibleTemplatePluginError


def _names() -> ModuleType:
    """dagster_ecs.names, imported when a test first runs: the controller's Python has the package (uv sync)."""
    try:
        from dagster_ecs import names
    except ImportError as error:
        raise AnsibleTemplatePluginError(f"dagster_ecs is not importable from Ansible's Python: {error}") from error
    return names


def repository_name(value: Any) -> bool:
    """Whether `value` can name a DAG repository (dagster_ecs.names.validate_repository_name)."""
    names = _names()
    try:
        names.validate_repository_name(value)
    except names.InvalidNameError:
        return False
    return True


def name_prefix(value: Any, max_length: int | None = None) -> bool:
    """Whether `value` can start the stack's resource names, in at most `max_length` characters
    (dagster_ecs.names.validate_name_prefix)."""
    names = _names()
    try:
        names.validate_name_prefix(value, max_length=max_length)
    except names.InvalidNameError:
        return False
    return True


class TestModule:
    def tests(self) -> dict[str, Callable[..., bool]]:
        return {"repository_name": repository_name, "name_prefix": name_prefix}
