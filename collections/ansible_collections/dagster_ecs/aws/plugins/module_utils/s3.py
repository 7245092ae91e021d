# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Amazon S3 calls of the dagster_ecs.aws S3 modules, failing with AnsibleS3Error (as amazon.aws's ec2.py)."""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, Description


class AnsibleS3Error(AnsibleAWSError):
    pass


class S3ErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleS3Error

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code("NoSuchBucket")


@S3ErrorHandler.list_error_handler("read the access logging of bucket {bucket}")
def get_bucket_logging(client: Client, bucket: str) -> Description | None:
    """GetBucketLogging's answer; None when the bucket does not exist."""
    return client.get_bucket_logging(aws_retry=True, Bucket=bucket)


@S3ErrorHandler.common_error_handler("set the access logging of bucket {bucket}")
def put_bucket_logging(client: Client, bucket: str, status: Description) -> None:
    try:
        client.put_bucket_logging(aws_retry=True, Bucket=bucket, BucketLoggingStatus=status)
    except is_boto3_error_code("InvalidTargetBucketForLogging") as e:
        target = status.get("LoggingEnabled", {}).get("TargetBucket")
        raise AnsibleS3Error(
            message=f"S3 refused {target} as the target of bucket {bucket}'s access logs: it must exist in the same "
            "account and Region as the bucket",
            exception=e,
        ) from e
