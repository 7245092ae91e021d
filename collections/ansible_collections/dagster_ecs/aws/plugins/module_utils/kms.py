# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS KMS calls of the dagster_ecs.aws modules, failing with AnsibleKMSError (as amazon.aws's ec2.py)."""

from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client


class AnsibleKMSError(AnsibleAWSError):
    pass


class KMSErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleKMSError


@KMSErrorHandler.common_error_handler("describe the KMS key {key_id}")
def key_arn(client: Client, key_id: str) -> str:
    """The ARN of the key that `key_id` (an id, ARN or alias) names."""
    return client.describe_key(aws_retry=True, KeyId=key_id)["KeyMetadata"]["Arn"]
