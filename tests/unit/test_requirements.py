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
    manifest = Path(next(iter(ansible_collections.__path__))) / namespace / name / "MANIFEST.json"
    assert json.loads(manifest.read_text())["collection_info"]["version"] == pin["version"]


def test_the_aws_collections_are_pinned() -> None:
    assert {pin["name"] for pin in PINS} >= {"amazon.aws", "community.aws"}
