"""meta/runtime.yml's action group `aws` is exactly the modules that call AWS, and module_defaults reach them."""

import re
from typing import Any

import boto3
import yaml

from tests.ansible_modules.playbook import COLLECTIONS_PATH, PlaybookRunner, task
from tests.support.moto_server import MotoServer

COLLECTION = COLLECTIONS_PATH / "ansible_collections/dagster_ecs/aws"
# A module calls AWS when it is an AnsibleAWSModule (the others, e.g. dag_reload, use AnsibleModule).
CALLS_AWS = re.compile(r"\bAnsibleAWSModule\(")


def action_groups() -> dict[str, Any]:
    return yaml.safe_load((COLLECTION / "meta/runtime.yml").read_text())["action_groups"]


def test_the_aws_group_lists_exactly_the_modules_that_call_aws() -> None:
    modules = (COLLECTION / "plugins/modules").glob("*.py")
    calling_aws = sorted(path.stem for path in modules if CALLS_AWS.search(path.read_text()))
    assert calling_aws, "no module calls AWS: the pattern no longer finds AnsibleAWSModule"
    assert sorted(action_groups()["aws"]) == calling_aws


def test_module_defaults_of_the_group_reach_a_module(playbook: PlaybookRunner, aws: MotoServer) -> None:
    # The repository exists only in a region other than the environment's: found only if the group's region applies.
    region = "eu-west-3"
    boto3.client("ecr", region_name=region).create_repository(repositoryName="dagster-ecs-test/dagster")
    read = task(
        "dagster_ecs.aws.ecr_repository",
        {"name": "dagster-ecs-test/dagster"},
        module_defaults={"group/dagster_ecs.aws.aws": {"region": region}},
    )
    without_defaults = task("dagster_ecs.aws.ecr_repository", {"name": "dagster-ecs-test/dagster"})
    [with_group, without_group] = playbook.run([read, without_defaults])
    assert with_group["repository"]["repository_name"] == "dagster-ecs-test/dagster"
    assert without_group["repository"] == {}
