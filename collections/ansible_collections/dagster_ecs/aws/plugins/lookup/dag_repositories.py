# The DAG repositories under a dags/ directory, named and validated exactly as the platform does.

DOCUMENTATION = r"""
name: dag_repositories
author: dagster-ecs
short_description: List the DAG repositories under a dags/ directory
description:
  - Returns the names of the repositories (directories) under the given dags/ directory, sorted.
  - Uses the platform's own discovery, so a directory with an invalid repository name fails the lookup
    with a message naming it, before any AWS call.
  - Requires the dagster-ecs package in the Python environment that runs Ansible (uv sync installs it).
options:
  _terms:
    description: Path of the dags/ directory.
    required: true
    type: list
    elements: path
"""

EXAMPLES = r"""
- name: Every repository gets an access point
  ansible.builtin.debug:
    msg: "{{ query('dagster_ecs.aws.dag_repositories', playbook_dir ~ '/dags') }}"
"""

RETURN = r"""
_raw:
  description: Repository names, sorted.
  type: list
  elements: str
"""

from pathlib import Path
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms: list[str], variables: dict[str, Any] | None = None, **kwargs: Any) -> list[str]:
        try:
            from dagster_ecs.discovery import discover_repositories
        except ImportError as error:
            raise AnsibleLookupError(f"dagster_ecs is not importable from Ansible's Python: {error}") from error
        names = []
        for term in terms:
            try:
                names.extend(repository.name for repository in discover_repositories(Path(term)))
            except (ValueError, FileNotFoundError) as error:
                raise AnsibleLookupError(f"dag_repositories: {error}") from error
        return names
