"""EC2 flow logs: CreateFlowLogs to a CloudWatch Logs log group answers as AWS documents.

1. The log group may be named (LogGroupName) or given by its ARN (LogDestination)
   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateFlowLogs.html); either way DescribeFlowLogs
   reports the group's LogGroupName. moto only reads LogGroupName: given the ARN, it stores no group name (the flow
   log has no LogGroupName and the `log-group-name` filter misses it) and, looking up a group named None, reports
   DeliverLogsStatus FAILED "Access error" for a group that exists.
2. Several flow logs of one resource may publish to the same log group, e.g. one capturing ACCEPT and one REJECT
   traffic (Amazon VPC user guide, "Publish flow logs to CloudWatch Logs": "You can create multiple flow logs that
   publish data to the same log group"). moto refuses any second flow log of a resource to the same group with
   FlowLogAlreadyExists, whatever its traffic type, and lets a duplicate through when one names the group and the
   other gives its ARN. Here a flow log is refused when one of the same resource, traffic type and log group
   exists.

Other destinations (S3, Kinesis Data Firehose) keep moto's behaviour.
"""

import re
from typing import Any

from moto.ec2.exceptions import FlowLogAlreadyExists
from moto.ec2.models.flow_logs import FlowLogs, FlowLogsBackend
from moto.ec2.utils import random_flow_log_id
from moto.logs.models import logs_backends

CLOUDWATCH_LOGS = "cloud-watch-logs"
# AWS's documented default record format (Amazon VPC user guide, "Flow log records": default format, version 2).
DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
    "${bytes} ${start} ${end} ${action} ${log-status}"
)
_LOG_GROUP_ARN = re.compile(r"^arn:[^:]+:logs:[^:]*:[0-9]*:log-group:(?P<name>[^:]+)(:\*)?$")


def log_group_of(log_group_name: str | None, log_destination: str | None) -> str | None:
    """The log group a CloudWatch Logs flow log publishes to, from its name or from its ARN."""
    if log_group_name:
        return log_group_name
    match = _LOG_GROUP_ARN.match(log_destination or "")
    return match.group("name") if match else None


_original_create_flow_logs = FlowLogsBackend.create_flow_logs


def create_flow_logs(
    self: Any,
    resource_type: str,
    resource_ids: list[str],
    traffic_type: str,
    deliver_logs_permission_arn: str,
    log_destination_type: str,
    log_destination: str,
    log_group_name: str,
    log_format: str,
    max_aggregation_interval: int,
) -> tuple[list[FlowLogs], list[Any]]:
    if (log_destination_type or CLOUDWATCH_LOGS) != CLOUDWATCH_LOGS:
        return _original_create_flow_logs(
            self,
            resource_type,
            resource_ids,
            traffic_type,
            deliver_logs_permission_arn,
            log_destination_type,
            log_destination,
            log_group_name,
            log_format,
            max_aggregation_interval,
        )
    max_aggregation_interval = 600 if max_aggregation_interval is None else max_aggregation_interval
    self._validate_request(
        log_group_name, log_destination, CLOUDWATCH_LOGS, max_aggregation_interval, deliver_logs_permission_arn
    )
    group = log_group_of(log_group_name, log_destination)
    # AWS creates a flow log to a missing group and reports the failed delivery (as moto does for a named group).
    group_exists = group is not None and group in logs_backends[self.account_id][self.region_name].groups
    created: list[FlowLogs] = []
    for resource_id in resource_ids:
        # The resource must exist (each getter raises moto's NotFound error).
        if resource_type == "VPC":
            self.get_vpc(resource_id)
        elif resource_type == "Subnet":
            self.get_subnet(resource_id)
        elif resource_type == "NetworkInterface":
            self.get_network_interface(resource_id)
        if any(
            (existing.resource_id, existing.traffic_type) == (resource_id, traffic_type)
            and existing.log_destination_type == CLOUDWATCH_LOGS
            and log_group_of(existing.log_group_name, existing.log_destination) == group
            for existing in self.flow_logs.values()
        ):
            raise FlowLogAlreadyExists()
        # moto's models are built this way; its metaclass makes ty see a BaseModel.
        flow_log: Any = FlowLogs(  # ty: ignore[abstract-class-instantiation]
            self,
            random_flow_log_id(),
            resource_id,
            traffic_type,
            log_destination,
            group,
            deliver_logs_permission_arn,
            max_aggregation_interval,
            CLOUDWATCH_LOGS,
            DEFAULT_LOG_FORMAT if log_format is None else log_format,
            "SUCCESS" if group_exists else "FAILED",
            None if group_exists else "Access error",
        )
        self.flow_logs[flow_log.id] = flow_log
        created.append(flow_log)
    return created, []


_applied: list[bool] = []


def apply() -> None:
    if _applied:
        return
    _applied.append(True)
    FlowLogsBackend.create_flow_logs = create_flow_logs
