"""requirements.yml pins exactly what the locked `ansible` package bundles, so Galaxy is never needed here."""

import json
import re
from pathlib import Path

import ansible_collections
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PINS = yaml.safe_load((REPO_ROOT / "requirements.yml").read_text())["collections"]
# Where the playbooks name modules, plugins and callbacks by FQCN.
ANSIBLE_SOURCES = [
    *(
        path
        for folder in ("roles", "playbooks", "group_vars", "inventory")
        for path in (REPO_ROOT / folder).rglob("*.yml")
    ),
    REPO_ROOT / "site.yml",
    REPO_ROOT / "ansible.cfg",
]
# Collections the checkout has (dagster_ecs.aws) or ansible-core ships (ansible.builtin): nothing to install.
NOT_FROM_GALAXY = {"ansible.builtin", "dagster_ecs.aws"}


def _installed_collections() -> set[str]:
    """Every installed collection (namespace.name), across the namespace package's parts."""
    return {
        f"{collection.parent.name}.{collection.name}"
        for part in ansible_collections.__path__
        for collection in Path(part).glob("*/*")
        if (collection / "MANIFEST.json").is_file() or (collection / "galaxy.yml").is_file()
    }


def _used_collections() -> set[str]:
    """The installed collections whose FQCNs (namespace.name.plugin) the roles, playbooks and ansible.cfg use."""
    installed = _installed_collections()
    names = {
        f"{match[0]}.{match[1]}"
        for path in ANSIBLE_SOURCES
        for match in re.findall(r"\b([a-z_]+)\.([a-z_]+)\.[a-z_]", path.read_text())
    }
    return {name for name in names if name in installed} - NOT_FROM_GALAXY


@pytest.mark.parametrize("pin", PINS, ids=lambda pin: pin["name"])
def test_pinned_collection_is_the_bundled_one(pin: dict[str, str]) -> None:
    namespace, name = pin["name"].split(".")
    # ansible_collections is a namespace package: the bundled collections and the project's own
    # (collections/, when on sys.path) are parts of it.
    manifests = [Path(part) / namespace / name / "MANIFEST.json" for part in ansible_collections.__path__]
    bundled = [manifest for manifest in manifests if manifest.is_file()]
    assert bundled, f"{pin['name']} is not installed (looked in {manifests})"
    assert json.loads(bundled[0].read_text())["collection_info"]["version"] == pin["version"]


def test_every_used_collection_is_pinned() -> None:
    used = _used_collections()
    assert used >= {"amazon.aws", "community.aws", "ansible.utils", "ansible.posix"}, "the FQCN scan found too little"
    assert {pin["name"] for pin in PINS} == used
