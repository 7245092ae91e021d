# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Amazon ECS calls of the dagster_ecs.aws ECS modules and the DAG publisher task, failing with AnsibleECSError
(as amazon.aws's ec2.py); the capacity provider strategy and the ECS tag form they share."""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    TagApi,
    Tags,
    tags_to_dict,
)


class AnsibleECSError(AnsibleAWSError):
    pass


class ECSErrorHandler(AWSErrorHandler):
    """Clusters and services."""

    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code(["ClusterNotFoundException", "ServiceNotFoundException"])


class ECSTaskDefinitionErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECSError

    @classmethod
    def _is_missing(cls) -> Any:
        # DescribeTaskDefinition answers a family without an active revision (or an unknown revision) so.
        return is_boto3_error_code("ClientException")


def ecs_tag_list(tags: Tags | None) -> list[dict[str, str]]:
    """A dict as ECS's lowercase key/value tag list."""
    return ansible_dict_to_boto3_tag_list(tags or {}, "key", "value")


# ECS tags resources by ARN with lowercase key/value items.
ECS_TAGS = TagApi("resourceArn", ECSErrorHandler, "tags", "tagKeys", ecs_tag_list)

# Argument spec of one capacity provider strategy item (documented by the capacity_provider_strategy doc fragment).
STRATEGY_ITEM_OPTIONS: dict[str, Any] = {
    "capacity_provider": {"required": True},
    "weight": {"type": "int", "default": 0},
    "base": {"type": "int", "default": 0},
}


def strategy(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """A capacity provider strategy (option form or ECS's answer) in option form, sorted, with ECS's defaults."""
    return sorted(
        (
            {
                "capacity_provider": item.get("capacity_provider") or item.get("capacityProvider"),
                "weight": item.get("weight") or 0,
                "base": item.get("base") or 0,
            }
            for item in items or []
        ),
        key=lambda item: item["capacity_provider"],
    )


# ---------------------------------------------------------------------------------------------------- clusters


@ECSErrorHandler.common_error_handler("describe ECS cluster {name}")
def describe_cluster(client: Client, name: str) -> Description | None:
    """The cluster with its settings, tags and configuration; None when there is no active one."""
    answer = client.describe_clusters(aws_retry=True, clusters=[name], include=["SETTINGS", "TAGS", "CONFIGURATIONS"])
    found = [cluster for cluster in answer.get("clusters", []) if cluster.get("status") != "INACTIVE"]
    return found[0] if found else None


@ECSErrorHandler.common_error_handler("create ECS cluster {name}")
def create_cluster(client: Client, name: str, request: dict[str, Any]) -> None:
    client.create_cluster(aws_retry=True, clusterName=name, **request)


@ECSErrorHandler.common_error_handler("set the capacity providers of ECS cluster {name}")
def put_cluster_capacity_providers(client: Client, name: str, request: dict[str, Any]) -> None:
    client.put_cluster_capacity_providers(aws_retry=True, cluster=name, **request)


@ECSErrorHandler.common_error_handler("update the settings of ECS cluster {name}")
def update_cluster_settings(client: Client, name: str, settings: list[dict[str, str]]) -> None:
    client.update_cluster_settings(aws_retry=True, cluster=name, settings=settings)


@ECSErrorHandler.deletion_error_handler("delete ECS cluster {name}")
def delete_cluster(client: Client, name: str) -> bool:
    """False when the cluster was already gone (deleted meanwhile: the goal is reached)."""
    client.delete_cluster(aws_retry=True, cluster=name)
    return True


# ---------------------------------------------------------------------------------------------------- services


@ECSErrorHandler.list_error_handler("describe ECS service {name} in {cluster}")
def describe_service(client: Client, cluster: str, name: str) -> Description | None:
    """The service with its tags; None when it is not active or the cluster does not exist (yet)."""
    answer = client.describe_services(aws_retry=True, cluster=cluster, services=[name], include=["TAGS"])
    found = [s for s in answer.get("services", []) if s.get("status") not in ("INACTIVE", "DRAINING")]
    return found[0] if found else None


@ECSErrorHandler.common_error_handler("create ECS service {name} in {cluster}")
def create_service(client: Client, cluster: str, name: str, request: dict[str, Any]) -> None:
    client.create_service(aws_retry=True, cluster=cluster, serviceName=name, **request)


@ECSErrorHandler.common_error_handler("update ECS service {name} in {cluster}")
def update_service(client: Client, cluster: str, name: str, request: dict[str, Any]) -> None:
    client.update_service(aws_retry=True, cluster=cluster, service=name, **request)


@ECSErrorHandler.deletion_error_handler("delete ECS service {name} in {cluster}")
def delete_service(client: Client, cluster: str, name: str, scale_in: bool) -> bool:
    """Scale the service in first when `scale_in` (ECS refuses to delete a replica service with tasks); False when
    it was already gone (deleted meanwhile: the goal is reached)."""
    if scale_in:
        client.update_service(aws_retry=True, cluster=cluster, service=name, desiredCount=0)
    client.delete_service(aws_retry=True, cluster=cluster, service=name)
    return True


@ECSErrorHandler.common_error_handler("wait for ECS service {name} in {cluster} to become stable")
def wait_service_stable(client: Client, cluster: str, name: str, delay: int, max_attempts: int) -> None:
    client.get_waiter("services_stable").wait(
        cluster=cluster, services=[name], WaiterConfig={"Delay": delay, "MaxAttempts": max_attempts}
    )


# ---------------------------------------------------------------------------------------------------- task definitions


@ECSTaskDefinitionErrorHandler.list_error_handler("describe ECS task definition {task_definition}")
def describe_task_definition(client: Client, task_definition: str, include_tags: bool = False) -> Description | None:
    """The revision (`family:revision` or ARN), or a family's latest ACTIVE revision, with its tags as a dict under
    `tags` when `include_tags`; None when there is none."""
    answer = client.describe_task_definition(
        aws_retry=True, taskDefinition=task_definition, **({"include": ["TAGS"]} if include_tags else {})
    )
    definition = answer["taskDefinition"]
    if include_tags:
        definition["tags"] = tags_to_dict(answer.get("tags"))
    return definition


@ECSTaskDefinitionErrorHandler.common_error_handler("list the {status} revisions of ECS task definition {family}")
@AWSRetry.jittered_backoff()  # a paginator's calls take no aws_retry: retry the whole listing
def task_definition_arns(client: Client, family: str, status: str) -> list[str]:
    """The ARNs of the family's revisions in `status` (ACTIVE or INACTIVE)."""
    pages = client.get_paginator("list_task_definitions").paginate(familyPrefix=family, status=status)
    arns = pages.build_full_result().get("taskDefinitionArns", [])
    # familyPrefix matches prefixes: keep this family only.
    return [arn for arn in arns if arn.split("/")[-1].rsplit(":", 1)[0] == family]


@ECSTaskDefinitionErrorHandler.common_error_handler("register a revision of ECS task definition {family}")
def register_task_definition(client: Client, family: str, request: dict[str, Any]) -> Description:
    """RegisterTaskDefinition's answer (taskDefinition and tags)."""
    return client.register_task_definition(aws_retry=True, family=family, **request)


@ECSTaskDefinitionErrorHandler.common_error_handler("deregister ECS task definition {arn}")
def deregister_task_definition(client: Client, arn: str) -> None:
    client.deregister_task_definition(aws_retry=True, taskDefinition=arn)


# ---------------------------------------------------------------------------------------------------- tasks


@ECSErrorHandler.common_error_handler("run {task_definition} in ECS cluster {cluster}")
def run_task(client: Client, cluster: str, task_definition: str, request: dict[str, Any]) -> Description:
    """RunTask's answer (tasks it could not start are in its failures, not raised)."""
    return client.run_task(aws_retry=True, cluster=cluster, taskDefinition=task_definition, **request)


@ECSErrorHandler.common_error_handler("describe ECS task {task_arn}")
def describe_task(client: Client, cluster: str, task_arn: str) -> Description | None:
    tasks = client.describe_tasks(aws_retry=True, cluster=cluster, tasks=[task_arn])["tasks"]
    return tasks[0] if tasks else None


@ECSErrorHandler.common_error_handler("stop ECS task {task_arn}")
def stop_task(client: Client, cluster: str, task_arn: str, reason: str) -> None:
    client.stop_task(aws_retry=True, cluster=cluster, task=task_arn, reason=reason)
