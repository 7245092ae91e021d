# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Amazon ECR calls of the dagster_ecs.aws ECR modules, failing with AnsibleECRError (as amazon.aws's ec2.py)."""

import json
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, Description, TagApi


class AnsibleECRError(AnsibleAWSError):
    pass


class ECRErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleECRError

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code("RepositoryNotFoundException")


# ECR tags a repository by ARN with Key/Value items.
ECR_TAGS = TagApi("resourceArn", ECRErrorHandler, "tags", "tagKeys")


@ECRErrorHandler.list_error_handler("describe ECR repository {name}")
def describe_repository(client: Client, name: str, registry: dict[str, str]) -> Description | None:
    """The repository as DescribeRepositories answers; None when it does not exist."""
    [found] = client.describe_repositories(aws_retry=True, repositoryNames=[name], **registry)["repositories"]
    return found


@ECRErrorHandler.common_error_handler("read the lifecycle policy of ECR repository {name}")
def lifecycle_policy(client: Client, name: str, registry: dict[str, str]) -> dict[str, Any]:
    """The repository's lifecycle policy document; empty when none is set."""
    try:
        text = client.get_lifecycle_policy(aws_retry=True, repositoryName=name, **registry)["lifecyclePolicyText"]
    except is_boto3_error_code("LifecyclePolicyNotFoundException"):
        return {}
    return json.loads(text)


@ECRErrorHandler.common_error_handler("read the tags of ECR repository {arn}")
def repository_tags(client: Client, arn: str) -> list[dict[str, str]]:
    return client.list_tags_for_resource(aws_retry=True, resourceArn=arn)["tags"]


@ECRErrorHandler.common_error_handler("count the images of ECR repository {name}")
def image_count(client: Client, name: str, registry: dict[str, str]) -> int:
    pages = client.get_paginator("list_images").paginate(repositoryName=name, **registry)
    return sum(len(page["imageIds"]) for page in pages)


@ECRErrorHandler.list_error_handler("look up tag {tag} in ECR repository {name}")
def images_tagged(client: Client, name: str, tag: str, registry: dict[str, str]) -> list[Description] | None:
    """The images tagged `tag` (empty when there is none); None when the repository does not exist."""
    try:
        return client.describe_images(aws_retry=True, repositoryName=name, imageIds=[{"imageTag": tag}], **registry)[
            "imageDetails"
        ]
    except is_boto3_error_code("ImageNotFoundException"):
        return []


@ECRErrorHandler.common_error_handler("get an ECR authorization token")
def authorization_data(client: Client, registry_id: str | None) -> Description:
    answer = client.get_authorization_token(aws_retry=True, **({"registryIds": [registry_id]} if registry_id else {}))
    [data] = answer["authorizationData"]
    return data
