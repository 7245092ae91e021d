"""The Ansible lookup `dagster_ecs.aws.dagster_config`: the ECS dagster.yaml and workspace.yaml as a playbook
renders them, and its errors naming the bad option."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from dagster_ecs.config.ecs_settings import EcsInstanceSettings
from dagster_ecs.config.instance import ecs_instance_config, validate_instance_directory
from dagster_ecs.config.workspace import ecs_workspace
from tests.unit.dag_trees import REPO_ROOT

PASSWORD = "pw-that-must-never-be-written-9f3c"
# The settings the lookup call below passes.
SETTINGS = EcsInstanceSettings(
    region="ap-southeast-2",
    cluster="dagster-ecs-dev",
    subnets=("subnet-0123456789abcdef0", "subnet-0fedcba9876543210"),
    security_groups=("sg-0a1b2c3d4e5f60718",),
    bucket="dagster-ecs-dev-data",
    max_concurrent_runs=8,
    max_runs_per_repository=3,
)


def ansible_lookup(expression: str) -> tuple[int, Any]:
    """Evaluate `expression` with `ansible localhost -m debug`, as a playbook would, and return rc and msg."""
    ansible = Path(sys.executable).parent / "ansible"
    env = {**os.environ, "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run(
        [str(ansible), "localhost", "-m", "ansible.builtin.debug", "-a", f"msg={{{{ {expression} }}}}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout
    assert " => " in output, (result.stdout, result.stderr)
    return result.returncode, json.loads(output.split(" => ", 1)[1])["msg"]


@pytest.mark.usefixtures("runtime_env")
def test_lookup_renders_instance_and_workspace_as_a_playbook_sees_them(tmp_path: Path) -> None:
    # One ansible process for both terms: each one imports dagster, which takes seconds.
    instance_call = (
        "lookup('dagster_ecs.aws.dagster_config', 'instance', region='ap-southeast-2', cluster='dagster-ecs-dev', "
        "subnets=['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'], security_groups=['sg-0a1b2c3d4e5f60718'], "
        "bucket='dagster-ecs-dev-data', max_concurrent_runs=8, max_runs_per_repository=3"
    )
    rc, (instance_text, workspace_text) = ansible_lookup(
        f"[{instance_call}), "
        "lookup('dagster_ecs.aws.dagster_config', 'workspace', repositories=['main', 'repo-2'], "
        "namespace='dagster-ecs-dev.local', port=4000)]"
    )
    assert rc == 0, instance_text
    assert yaml.safe_load(instance_text) == ecs_instance_config(SETTINGS)
    assert PASSWORD not in instance_text
    (tmp_path / "dagster.yaml").write_text(instance_text)
    validate_instance_directory(tmp_path)
    assert yaml.safe_load(workspace_text) == ecs_workspace(["main", "repo-2"], "dagster-ecs-dev.local")


def test_lookup_names_the_bad_option() -> None:
    rc, message = ansible_lookup(
        "lookup('dagster_ecs.aws.dagster_config', 'instance', region='ap-southeast-2', cluster='c', "
        "subnets=['subnet-xyz'], security_groups=['sg-0a1b2c3d4e5f60718'], bucket='dagster-ecs-dev-data')"
    )
    assert rc != 0
    assert "dagster_config instance: subnets: 'subnet-xyz' is not an id" in message
    rc, message = ansible_lookup("lookup('dagster_ecs.aws.dagster_config', 'workspace', repositories=['main'])")
    assert rc != 0
    assert "dagster_config workspace: missing option(s) namespace" in message
