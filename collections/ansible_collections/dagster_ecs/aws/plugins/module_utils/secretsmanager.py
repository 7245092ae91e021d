# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Secrets Manager helpers shared by the dagster_ecs.aws secret modules. Nothing here reads a secret's value."""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.tagging import boto3_tag_list_to_ansible_dict
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, Description


class AnsibleSecretsManagerError(AnsibleAWSError):
    pass


class SecretsManagerErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSecretsManagerError

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code("ResourceNotFoundException")


@SecretsManagerErrorHandler.list_error_handler("describe secret {name}")
def describe_secret(client: Client, name: str) -> Description | None:
    """DescribeSecret's answer, or None when the secret does not exist."""
    return client.describe_secret(aws_retry=True, SecretId=name)


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
