"""What ansible-doc shows for the modules whose options come from doc fragments (the collection's own, such as
capacity_provider_strategy and require_tags, and amazon.aws.tags): every option of the argument spec, documented
with the same type, default, choices and suboptions, and nothing more."""

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.ansible_modules.playbook import COLLECTIONS_PATH
from tests.ansible_modules.test_module_docs import compare, fragment_options

MODULES_DIR = COLLECTIONS_PATH / "ansible_collections/dagster_ecs/aws/plugins/modules"
ANSIBLE_DOC = Path(sys.executable).with_name("ansible-doc")
# Connection options AnsibleAWSModule adds to every module; they are not in the modules' argument specs.
CONNECTION_FRAGMENTS = ["amazon.aws.common.modules", "amazon.aws.region.modules", "amazon.aws.boto3"]


def fragments(path: Path) -> list[str]:
    """The doc fragments a module's DOCUMENTATION extends, read without importing the module."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["DOCUMENTATION"]:
            return yaml.safe_load(ast.literal_eval(node.value)).get("extends_documentation_fragment", [])
    return []


FRAGMENT_USERS = sorted(
    path.stem
    for path in MODULES_DIR.glob("*.py")
    if any(f.startswith("dagster_ecs.aws.") or f == "amazon.aws.tags" for f in fragments(path))
)


@pytest.fixture(scope="module")
def ansible_doc() -> dict[str, Any]:
    """ansible-doc's JSON for every fragment user, in one call."""
    names = [f"dagster_ecs.aws.{name}" for name in FRAGMENT_USERS]
    completed = subprocess.run(
        [str(ANSIBLE_DOC), "-j", "-t", "module", *names],
        env={"PATH": "/usr/bin:/bin", "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH), "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(completed.stdout)


def test_the_fragment_users_include_the_ecs_and_cloud_map_modules() -> None:
    expected = {"ecs_cluster", "ecs_service", "ecs_task_definition", "servicediscovery_namespace"}
    assert expected | {"servicediscovery_service"} <= set(FRAGMENT_USERS)


@pytest.mark.parametrize("name", FRAGMENT_USERS)
def test_ansible_doc_shows_every_option_of_the_argument_spec(
    name: str, ansible_doc: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(COLLECTIONS_PATH))
    module = importlib.import_module(f"ansible_collections.dagster_ecs.aws.plugins.modules.{name}")
    connection = {option for fragment in CONNECTION_FRAGMENTS for option in fragment_options(fragment)}
    shown = ansible_doc[f"dagster_ecs.aws.{name}"]["doc"]["options"]
    documented = {option: doc for option, doc in shown.items() if option not in connection}
    assert compare(module.ARGUMENT_SPEC, documented, "") == []
    for option in ("tags", "purge_tags", "capacity_provider_strategy", "default_capacity_provider_strategy"):
        if option in module.ARGUMENT_SPEC:
            assert shown[option]["description"], option
