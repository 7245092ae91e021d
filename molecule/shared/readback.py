"""What the scenarios' read-back scripts share: AWS tag lists as dicts, the checks that fail a verification, and
the emulator's write count.

The scripts run under molecule with this directory and the project root on PYTHONPATH
(.config/molecule/config.yml), so each imports `readback` instead of keeping its own copy.
"""

import json
from pathlib import Path
from typing import Any

from emulator.calls import read_calls

Tags = dict[str, str]


def tags(items: list[dict[str, str]] | None) -> Tags:
    """A tag list as a dict, in either of AWS's spellings: Key/Value (EC2, S3, IAM, EFS, Cloud Map, Logs) or
    key/value (ECS, ECR)."""
    return {item.get("Key", item.get("key", "")): item.get("Value", item.get("value", "")) for item in items or []}


def missing_tags(actual: Tags, required: Tags, what: str) -> list[str]:
    """One problem per required tag that `what` lacks or holds with another value."""
    return [
        f"{what}: tag {key}={actual.get(key)!r}, expected {value!r}"
        for key, value in required.items()
        if actual.get(key) != value
    ]


def check(ok: bool, message: str) -> None:
    """Fail the verification with `message` (the script exits non-zero; molecule shows the message)."""
    if not ok:
        raise SystemExit(f"verify: {message}")


def equal(actual: Any, expected: Any, what: str) -> None:
    check(
        actual == expected,
        f"{what}:\n  expected {json.dumps(expected, sort_keys=True, default=str)}"
        f"\n  actual   {json.dumps(actual, sort_keys=True, default=str)}",
    )


def write_count(call_log: Path) -> int:
    """How many write calls the emulator has answered so far (its call log, emulator/calls.py)."""
    return sum(1 for call in read_calls(call_log) if call.write)
