# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The Amazon RDS calls of the dagster_ecs.aws RDS modules, failing with AnsibleRDSError (as amazon.aws's ec2.py)."""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, Description


class AnsibleRDSError(AnsibleAWSError):
    pass


class RDSInstanceErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSError

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code("DBInstanceNotFound")


class RDSParameterGroupErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleRDSError

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code("DBParameterGroupNotFound")


@RDSInstanceErrorHandler.list_error_handler("describe the RDS DB instance {identifier}")
def describe_db_instance(client: Client, identifier: str) -> Description | None:
    """The instance as DescribeDBInstances answers; None when it does not exist."""
    return client.describe_db_instances(aws_retry=True, DBInstanceIdentifier=identifier)["DBInstances"][0]


@RDSInstanceErrorHandler.common_error_handler("{action} of the RDS DB instance {identifier}")
def modify_db_instance(client: Client, identifier: str, action: str, request: dict[str, Any]) -> None:
    """ModifyDBInstance; `action` says what for in the error message."""
    client.modify_db_instance(aws_retry=True, DBInstanceIdentifier=identifier, **request)


@RDSParameterGroupErrorHandler.list_error_handler("describe the parameters of {group}")
@AWSRetry.jittered_backoff()  # a paginator's calls take no aws_retry: retry the whole listing
def describe_db_parameters(client: Client, group: str) -> list[Description] | None:
    """Every parameter of the DB parameter group; None when the group does not exist."""
    paginator = client.get_paginator("describe_db_parameters")
    return paginator.paginate(DBParameterGroupName=group).build_full_result()["Parameters"]
