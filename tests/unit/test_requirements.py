"""requirements.yml pins exactly what the locked `ansible` package bundles, so Galaxy is never needed here."""

import json
from pathlib import Path

import ansible_collections
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PINS = yaml.safe_load((REPO_ROOT / "requirements.yml").read_text())["collections"]


@pytest.mark.parametrize("pin", PINS, ids=lambda pin: pin["name"])
def test_pinned_collection_is_the_bundled_one(pin: dict[str, str]) -> None:
    namespace, name = pin["name"].split(".")
    # ansible_collections is a namespace package: the bundled collections and the project's own
    # (collections/, when on sys.path) are parts of it.
    manifests = [Path(part) / namespace / name / "MANIFEST.json" for part in ansible_collections.__path__]
    bundled = [manifest for manifest in manifests if manifest.is_file()]
    assert bundled, f"{pin['name']} is not installed (looked in {manifests})"
    assert json.loads(bundled[0].read_text())["collection_info"]["version"] == pin["version"]


def test_the_aws_collections_are_pinned() -> None:
    assert {pin["name"] for pin in PINS} >= {"amazon.aws", "community.aws"}
