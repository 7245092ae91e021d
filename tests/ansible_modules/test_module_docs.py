"""Every module's DOCUMENTATION matches their argument spec, and EXAMPLES / RETURN are valid YAML.

A stand-in for ansible-test's validate-modules, which cannot install its requirements offline.
"""

import importlib
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.ansible_modules.playbook import COLLECTIONS_PATH

MODULES_DIR = COLLECTIONS_PATH / "ansible_collections/dagster_ecs/aws/plugins/modules"
# From the directory, so a new module cannot be left out.
MODULES = sorted(path.stem for path in MODULES_DIR.glob("*.py"))
# Ansible's defaults for an option that does not say.
DEFAULTS: dict[str, Any] = {"type": "str", "required": False, "default": None, "choices": None, "elements": None}


def load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(COLLECTIONS_PATH))
    return importlib.import_module(f"ansible_collections.dagster_ecs.aws.plugins.modules.{name}")


def compare(spec: dict[str, Any], documented: dict[str, Any], path: str) -> list[str]:
    problems = [f"{path}{name}: in the argument spec, not documented" for name in spec.keys() - documented.keys()]
    problems += [f"{path}{name}: documented, not in the argument spec" for name in documented.keys() - spec.keys()]
    for name in spec.keys() & documented.keys():
        option, doc = spec[name], documented[name]
        for key, default in DEFAULTS.items():
            spec_value = option.get(key, default)
            doc_value = doc.get(key, default)
            if spec_value != doc_value:
                problems.append(f"{path}{name}.{key}: spec {spec_value!r}, documented {doc_value!r}")
        if not doc.get("description"):
            problems.append(f"{path}{name}: no description")
        if option.get("options") or doc.get("suboptions"):
            problems += compare(option.get("options", {}), doc.get("suboptions", {}), f"{path}{name}.")
    return problems


def fragment_options(fragment: str) -> dict[str, Any]:
    """Options of a doc fragment such as amazon.aws.tags or amazon.aws.common.modules."""
    namespace, collection, name, *variant = fragment.split(".")
    plugin = importlib.import_module(f"ansible_collections.{namespace}.{collection}.plugins.doc_fragments.{name}")
    text = getattr(plugin.ModuleDocFragment, variant[0].upper() if variant else "DOCUMENTATION", "")
    return (yaml.safe_load(text) or {}).get("options", {})


@pytest.mark.parametrize("name", MODULES)
def test_documentation_matches_argument_spec(name: str, monkeypatch: pytest.MonkeyPatch):
    module = load(name, monkeypatch)
    documentation = yaml.safe_load(module.DOCUMENTATION)

    assert documentation["module"] == name
    documented = dict(documentation["options"])
    for fragment in documentation.get("extends_documentation_fragment", []):
        # Only options the module declares itself: AnsibleAWSModule adds the connection ones.
        documented.update({k: v for k, v in fragment_options(fragment).items() if k in module.ARGUMENT_SPEC})
    assert compare(module.ARGUMENT_SPEC, documented, "") == []
    assert isinstance(yaml.safe_load(module.EXAMPLES), list)
    returned = yaml.safe_load(module.RETURN)
    assert all("description" in value and "type" in value for value in returned.values())


@pytest.mark.parametrize("name", MODULES)
def test_every_module_documents_itself_in_valid_yaml(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What ansible-doc and ansible-lint parse: a module whose docs are not YAML cannot be looked up."""
    module = load(name, monkeypatch)
    documentation = yaml.safe_load(module.DOCUMENTATION)
    assert documentation["module"] == name
    assert documentation["short_description"]
    assert all(option.get("description") for option in documentation.get("options", {}).values())
    assert isinstance(yaml.safe_load(module.EXAMPLES), list)
    assert isinstance(yaml.safe_load(module.RETURN), dict)
