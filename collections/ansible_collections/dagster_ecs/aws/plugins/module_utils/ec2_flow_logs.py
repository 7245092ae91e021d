# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The EC2 flow log calls of dagster_ecs.aws.ec2_vpc_flow_log, failing with amazon.aws's AnsibleEC2Error as its own
EC2 handlers (ec2.py) do."""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, Description


class EC2FlowLogErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleEC2Error

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code("InvalidFlowLogId.NotFound")


@EC2FlowLogErrorHandler.common_error_handler("describe the flow logs of {resource_id}")
@AWSRetry.jittered_backoff()  # a paginator's calls take no aws_retry: retry the whole listing
def describe_flow_logs(client: Client, resource_id: str) -> list[Description]:
    filters = [{"Name": "resource-id", "Values": [resource_id]}]
    return client.get_paginator("describe_flow_logs").paginate(Filter=filters).build_full_result()["FlowLogs"]


@EC2FlowLogErrorHandler.common_error_handler("create {what}")
def create_flow_logs(client: Client, what: str, request: dict[str, Any]) -> Description:
    """CreateFlowLogs' answer (failures are in its Unsuccessful, not raised)."""
    return client.create_flow_logs(aws_retry=True, **request)


@EC2FlowLogErrorHandler.deletion_error_handler("delete flow log {flow_log_id}")
def delete_flow_log(client: Client, flow_log_id: str) -> Description | bool:
    """DeleteFlowLogs' answer (failures are in its Unsuccessful); False when it was already gone."""
    return client.delete_flow_logs(aws_retry=True, FlowLogIds=[flow_log_id])
