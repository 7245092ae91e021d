"""site.yml checks every role's inputs that the inventory gives before any role runs: a bad value fails with a
short message naming the variable and no AWS call; an inventory that does not exist fails."""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator.calls import Call
from tests.roles.runner import ANSIBLE_PLAYBOOK, REPO_ROOT
from tests.support.moto_server import MotoServer


@dataclass(frozen=True)
class SiteRun:
    returncode: int
    output: str  # stdout and stderr
    calls: list[Call]  # every call the run made to the emulator


def site(aws: MotoServer, tmp_path: Path, *arguments: str) -> SiteRun:
    """`ansible-playbook site.yml ARGUMENTS` from the checkout, as scripts/deploy-local runs it."""
    calls_before = len(aws.calls())
    completed = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "site.yml", *arguments],
        cwd=REPO_ROOT,
        env={**os.environ, **aws.env(), "ANSIBLE_HOME": str(tmp_path / ".ansible"), "ANSIBLE_NOCOLOR": "true"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return SiteRun(completed.returncode, completed.stdout + completed.stderr, aws.calls()[calls_before:])


@pytest.mark.parametrize(
    ("extra_var", "message"),
    [
        # The first role's argument spec would pass; the logs role runs fifth, after the network and the bucket.
        (
            "logs_retention_days=13",
            "Invalid input for the logs role: value of logs_retention_days must be one of: 1, 3, 5, 7, 14, 30",
        ),
        # The last role: its inventory-given inputs are checked even though its other inputs are outputs.
        (
            "services_publisher_cpu=300",
            "Invalid input for the services role: value of services_publisher_cpu must be one of: 256, 512",
        ),
        # A rule of a role's tasks/validate.yml, not of its argument spec.
        ("network_vpc_cidr=10.0.0.0/8", "network_vpc_cidr"),
        # The stack's name prefix rule (the collection's Jinja test over dagster_ecs.names), at the first role.
        ("dagster_ecs_project=dagster--ecs", "network_name_prefix 'dagster--ecs-local' must be"),
    ],
)
def test_bad_input_fails_before_any_aws_call(aws: MotoServer, tmp_path: Path, extra_var: str, message: str) -> None:
    completed = site(aws, tmp_path, "-i", "inventory/local", "-e", extra_var)

    assert completed.returncode != 0, f"site.yml accepted -e {extra_var}"
    errors = [line for line in completed.output.splitlines() if line.startswith("fatal:")]
    assert len(errors) == 1, errors
    assert message in errors[0]
    assert len(errors[0]) < 400, f"the failure is not a short message: {errors[0]}"
    assert completed.calls == [], "site.yml called AWS before rejecting its input"


def test_valid_inventory_passes_the_checks(aws: MotoServer, tmp_path: Path) -> None:
    # Only the always-tagged steps run: the checks, then each role's read-only outputs.
    completed = site(aws, tmp_path, "-i", "inventory/local", "--tags", "no-such-tag", "--check")

    assert completed.returncode == 0, completed.output[-3000:]
    assert [call for call in completed.calls if call.write] == []


def test_missing_inventory_fails(aws: MotoServer, tmp_path: Path) -> None:
    completed = site(aws, tmp_path, "-i", "inventory/no-such-environment")

    assert completed.returncode != 0, "a mistyped -i path exited 0"
    assert "The inventory has no dagster_ecs host" in completed.output
    assert "inventory/no-such-environment" in completed.output
    assert completed.calls == []
