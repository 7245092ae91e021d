# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Secrets Manager helpers shared by the dagster_ecs.aws secret modules. Nothing here reads a secret's value."""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict

# Re-exported: the modules import these from here.
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import AWS_ERRORS as AWS_ERRORS
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client as Client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Description as Description
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import client as retrying_client


def secretsmanager_client(module: AnsibleAWSModule) -> Client:
    """The client every module uses: retried with jittered backoff when called with aws_retry=True."""
    return retrying_client(module, "secretsmanager")


def describe_secret(module: AnsibleAWSModule, client: Client, name: str) -> Description | None:
    """DescribeSecret's answer, or None when the secret does not exist."""
    try:
        return client.describe_secret(aws_retry=True, SecretId=name)
    except is_boto3_error_code("ResourceNotFoundException"):
        return None
    except AWS_ERRORS as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg=f"Failed to describe secret {name}")


def secret_metadata(secret: Description | None) -> dict[str, Any]:
    """The secret as the modules return it: ARN, name, description, KMS key, tags, deletion state; {} if none."""
    if not secret:
        return {}
    result = {
        "arn": secret["ARN"],
        "name": secret["Name"],
        "description": secret.get("Description", ""),
        "tags": boto3_tag_list_to_ansible_dict(secret.get("Tags", [])),
        "deleted": bool(secret.get("DeletedDate")),
    }
    if secret.get("KmsKeyId"):
        result["kms_key_id"] = secret["KmsKeyId"]
    return result
