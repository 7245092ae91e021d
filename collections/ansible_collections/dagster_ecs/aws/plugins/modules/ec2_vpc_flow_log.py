#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ec2_vpc_flow_log
short_description: Manage a VPC flow log that publishes to CloudWatch Logs
version_added: 0.1.0
description:
  - Create, replace or delete the flow log of a VPC, subnet or network interface (O(resource_id)) that publishes
    to the CloudWatch Logs log group O(log_group_name).
  - The flow log is identified by O(resource_id) and O(log_group_name). AWS accepts several flow logs of one
    resource to one log group (for example one for V(ACCEPT) and one for V(REJECT) traffic); the module manages
    exactly one and fails naming them when it finds several. Use O(traffic_type=ALL) for both kinds of traffic.
  - AWS cannot change a flow log's traffic type, delivery role, aggregation interval or record format. When they
    differ, the module fails naming the difference, or deletes and recreates the flow log when O(replace=true);
    records of the minute in between may be missing.
  - Tags are updated in place (CreateTags / DeleteTags).
  - The log group and the delivery role are not created by this module. The role must trust
    C(vpc-flow-logs.amazonaws.com) and may write to the group (Amazon VPC user guide, "IAM role for publishing
    flow logs to CloudWatch Logs"); AWS creates the flow log without checking either and reports a failed
    delivery in RV(flow_log.deliver_logs_status).
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  state:
    description:
      - V(present) creates the flow log, or replaces it when O(replace=true) and its settings differ.
      - V(absent) deletes it; the log group and its events stay.
    type: str
    choices: [present, absent]
    default: present
  resource_id:
    description:
      - ID of the VPC (V(vpc-...)), subnet (V(subnet-...)) or network interface (V(eni-...)) whose traffic is
        logged; the resource type follows from the prefix.
    type: str
    required: true
  log_group_name:
    description:
      - Name of the CloudWatch Logs log group the flow log publishes to, for example V(/dagster-ecs-dev/vpc-flow-logs).
        A flow log created with the group's ARN (C(LogDestination)) is found by this name too.
    type: str
    required: true
  traffic_type:
    description:
      - The traffic to record: accepted, rejected or all.
    type: str
    choices: [ACCEPT, REJECT, ALL]
    default: ALL
  deliver_logs_permission_arn:
    description:
      - ARN of the IAM role that publishes the records to the log group.
      - Required when O(state=present).
    type: str
  max_aggregation_interval:
    description:
      - Seconds during which a flow of packets is aggregated into one record.
    type: int
    choices: [60, 600]
    default: 600
  log_format:
    description:
      - The fields of a record, for example V(${version} ${interface-id} ${srcaddr} ${dstaddr} ${action}).
      - When unset, a new flow log gets AWS's default format and an existing flow log's format is not compared.
    type: str
  replace:
    description:
      - Delete and recreate the flow log when O(traffic_type), O(deliver_logs_permission_arn),
        O(max_aggregation_interval) or O(log_format) differ from the existing one.
      - When V(false), such a difference fails the task.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Record the traffic the VPC's security groups and network ACLs reject
  dagster_ecs.aws.ec2_vpc_flow_log:
    resource_id: "{{ vpc.vpc.id }}"
    log_group_name: /dagster-ecs-dev/vpc-flow-logs
    traffic_type: REJECT
    deliver_logs_permission_arn: "{{ flow_logs_role.iam_role.arn }}"
    tags:
      Name: dagster-ecs-dev-vpc
      Project: dagster-ecs
  register: flow_log

- name: Record all traffic instead, replacing the flow log
  dagster_ecs.aws.ec2_vpc_flow_log:
    resource_id: "{{ vpc.vpc.id }}"
    log_group_name: /dagster-ecs-dev/vpc-flow-logs
    traffic_type: ALL
    deliver_logs_permission_arn: "{{ flow_logs_role.iam_role.arn }}"
    replace: true

- name: Delete the flow log
  dagster_ecs.aws.ec2_vpc_flow_log:
    resource_id: "{{ vpc.vpc.id }}"
    log_group_name: /dagster-ecs-dev/vpc-flow-logs
    state: absent
"""

RETURN = r"""
flow_log:
  description:
    - The flow log after the task (in check mode, as it was before). Empty when it does not exist.
  returned: always
  type: dict
  contains:
    flow_log_id:
      description: ID of the flow log.
      type: str
      sample: fl-0123456789abcdef0
    resource_id:
      description: ID of the VPC, subnet or network interface.
      type: str
      sample: vpc-0123456789abcdef0
    traffic_type:
      description: C(ACCEPT), C(REJECT) or C(ALL).
      type: str
      sample: REJECT
    log_destination_type:
      description: C(cloud-watch-logs).
      type: str
    log_group_name:
      description: Name of the log group.
      type: str
      sample: /dagster-ecs-dev/vpc-flow-logs
    log_destination:
      description: ARN of the log group, when the flow log was created with it.
      type: str
    deliver_logs_permission_arn:
      description: ARN of the delivery role.
      type: str
    deliver_logs_status:
      description: C(SUCCESS), or C(FAILED) when AWS cannot publish (see RV(flow_log.deliver_logs_error_message)).
      type: str
      sample: SUCCESS
    deliver_logs_error_message:
      description: Why the delivery fails, for example C(Access error).
      type: str
    flow_log_status:
      description: C(ACTIVE).
      type: str
    max_aggregation_interval:
      description: Seconds aggregated into one record, 60 or 600.
      type: int
      sample: 600
    log_format:
      description: The fields of a record.
      type: str
    creation_time:
      description: When the flow log was created.
      type: str
    tags:
      description: Tags of the flow log.
      type: dict
      sample: {"Name": "dagster-ecs-dev-vpc"}
replaced:
  description: Whether the flow log was (or, in check mode, would be) deleted and recreated.
  returned: always
  type: bool
"""

import re
import time
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.ec2 import AnsibleEC2Error, add_ec2_tags, remove_ec2_tags
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    boto3_tag_list_to_ansible_dict,
    boto3_tag_specifications,
    compare_aws_tags,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    differences,
    predict_tags,
    result,
    retrying_client,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ec2_flow_logs import (
    create_flow_logs,
    delete_flow_log,
    describe_flow_logs,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "resource_id": {"required": True},
    "log_group_name": {"required": True},
    "traffic_type": {"default": "ALL", "choices": ["ACCEPT", "REJECT", "ALL"]},
    "deliver_logs_permission_arn": {},
    "max_aggregation_interval": {"type": "int", "default": 600, "choices": [60, 600]},
    "log_format": {},
    "replace": {"type": "bool", "default": False},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

# CreateFlowLogs' ResourceType for each kind of id.
RESOURCE_TYPES = {"vpc-": "VPC", "subnet-": "Subnet", "eni-": "NetworkInterface"}
CLOUDWATCH_LOGS = "cloud-watch-logs"
# AWS's default record format (Amazon VPC user guide, "Flow log records"), shown in a new flow log's predicted diff.
DEFAULT_LOG_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
    "${bytes} ${start} ${end} ${action} ${log-status}"
)
LOG_GROUP_ARN = re.compile(r"^arn:[^:]+:logs:[^:]*:[0-9]*:log-group:(?P<name>[^:]+)(:\*)?$")
# The settings AWS fixes at creation, as option names.
SETTINGS = ["traffic_type", "deliver_logs_permission_arn", "max_aggregation_interval", "log_format"]


def log_group_of(flow_log: Description) -> str | None:
    """The log group a CloudWatch Logs flow log publishes to: LogGroupName, or the name in its LogDestination ARN."""
    if flow_log.get("LogGroupName"):
        return flow_log["LogGroupName"]
    match = LOG_GROUP_ARN.match(flow_log.get("LogDestination") or "")
    return match.group("name") if match else None


def summarize(flow_log: Description) -> dict[str, Any]:
    """The managed settings of a flow log, as compared between runs and shown in the diff."""
    return {
        "resource_id": flow_log["ResourceId"],
        "log_group_name": log_group_of(flow_log),
        "traffic_type": flow_log.get("TrafficType"),
        "deliver_logs_permission_arn": flow_log.get("DeliverLogsPermissionArn"),
        "max_aggregation_interval": flow_log.get("MaxAggregationInterval"),
        "log_format": flow_log.get("LogFormat"),
        "tags": boto3_tag_list_to_ansible_dict(flow_log.get("Tags") or []),
    }


def to_ansible(flow_log: Description) -> dict[str, Any]:
    result = camel_dict_to_snake_dict(flow_log, ignore_list=["Tags"])
    result["log_group_name"] = log_group_of(flow_log)
    result["tags"] = boto3_tag_list_to_ansible_dict(flow_log.get("Tags") or [])
    created = flow_log.get("CreationTime")
    if created is not None:
        result["creation_time"] = created.isoformat() if hasattr(created, "isoformat") else str(created)
    return result


class FlowLogTask:
    def __init__(self, module: AnsibleAWSModule, client: Client) -> None:
        self.module = module
        self.client = client
        self.params = module.params
        self.resource_id: str = self.params["resource_id"]
        self.log_group_name: str = self.params["log_group_name"]
        self.what = f"the flow log of {self.resource_id} to {self.log_group_name}"

    def resource_type(self) -> str:
        for prefix, resource_type in RESOURCE_TYPES.items():
            if self.resource_id.startswith(prefix):
                return resource_type
        self.module.fail_json(
            msg=f"resource_id {self.resource_id!r} is not a VPC, subnet or network interface id "
            "(vpc-..., subnet-... or eni-...)"
        )

    def find(self) -> Description | None:
        flow_logs = describe_flow_logs(self.client, self.resource_id)
        found = [
            flow_log
            for flow_log in flow_logs
            if flow_log.get("LogDestinationType", CLOUDWATCH_LOGS) == CLOUDWATCH_LOGS
            and log_group_of(flow_log) == self.log_group_name
        ]
        if len(found) > 1:
            described = ", ".join(f"{fl['FlowLogId']} ({fl.get('TrafficType')})" for fl in found)
            self.module.fail_json(
                msg=f"{self.resource_id} has several flow logs to {self.log_group_name}: {described}. The module "
                "manages one; delete all but one (traffic_type ALL records both accepted and rejected traffic).",
                flow_log_ids=[fl["FlowLogId"] for fl in found],
            )
        return found[0] if found else None

    def wanted_settings(self, current: dict[str, Any] | None) -> dict[str, Any]:
        p = self.params
        log_format = p["log_format"]
        if log_format is None:
            log_format = current["log_format"] if current else DEFAULT_LOG_FORMAT
        return {
            "traffic_type": p["traffic_type"],
            "deliver_logs_permission_arn": p["deliver_logs_permission_arn"],
            "max_aggregation_interval": p["max_aggregation_interval"],
            "log_format": log_format,
        }

    def present(self) -> dict[str, Any]:
        resource_type = self.resource_type()
        if not self.params["deliver_logs_permission_arn"]:  # required_if lets an explicit null through
            self.module.fail_json(msg="state is present but deliver_logs_permission_arn is empty: give the role's ARN")
        current = self.find()
        before = summarize(current) if current else None
        wanted = self.wanted_settings(before)
        wanted_tags, purge = self.params["tags"], self.params["purge_tags"]
        if current is None or before is None:
            replace = False
            after = {"resource_id": self.resource_id, "log_group_name": self.log_group_name, **wanted}
            after["tags"] = dict(wanted_tags or {})
        else:
            changes = differences({key: before[key] for key in SETTINGS}, wanted)
            if changes and not self.params["replace"]:
                self.module.fail_json(
                    msg=f"{self.what} ({current['FlowLogId']}) differs in settings AWS cannot change: "
                    f"{'; '.join(changes)}. Set replace=true to delete and recreate it.",
                    flow_log_id=current["FlowLogId"],
                )
            replace = bool(changes)
            after = {**before, **wanted}
            after["tags"] = predict_tags(before["tags"], wanted_tags, purge)
        changed = before != after

        flow_log = current
        if changed and not self.module.check_mode:
            if current is None or replace:
                if current is not None:
                    self.delete(current["FlowLogId"])
                flow_log = self.create(resource_type, wanted, after["tags"])
            elif before is not None:
                to_set, to_unset = compare_aws_tags(before["tags"], after["tags"], purge_tags=True)
                remove_ec2_tags(self.client, self.module, current["FlowLogId"], to_unset)
                add_ec2_tags(self.client, self.module, current["FlowLogId"], to_set)
                flow_log = self.find()
            after = summarize(flow_log) if flow_log else None
        return self.result(changed, before, after, flow_log, replace)

    def absent(self) -> dict[str, Any]:
        current = self.find()
        if current is None:
            return self.result(False, None, None, None, False)
        if not self.module.check_mode:
            self.delete(current["FlowLogId"])
        return self.result(True, summarize(current), None, None, False)

    def result(
        self,
        changed: bool,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        flow_log: Description | None,
        replaced: bool,
    ) -> dict[str, Any]:
        return result(
            self.module, changed, before, after, replaced=replaced, flow_log=to_ansible(flow_log) if flow_log else {}
        )

    def create(self, resource_type: str, settings: dict[str, Any], tags: dict[str, str]) -> Description:
        params: dict[str, Any] = {
            "ResourceIds": [self.resource_id],
            "ResourceType": resource_type,
            "TrafficType": settings["traffic_type"],
            "LogDestinationType": CLOUDWATCH_LOGS,
            "LogGroupName": self.log_group_name,
            "DeliverLogsPermissionArn": settings["deliver_logs_permission_arn"],
            "MaxAggregationInterval": settings["max_aggregation_interval"],
            # A retried request must not create a second flow log.
            "ClientToken": f"ansible-{self.resource_id}-{time.time_ns()}"[:64],
        }
        if self.params["log_format"] is not None:
            params["LogFormat"] = self.params["log_format"]
        if tags:
            params["TagSpecifications"] = boto3_tag_specifications(tags, ["vpc-flow-log"])
        answer = create_flow_logs(self.client, self.what, params)
        failures = [f"{item['Error']['Code']}: {item['Error']['Message']}" for item in answer.get("Unsuccessful") or []]
        if failures or not answer.get("FlowLogIds"):
            self.module.fail_json(msg=f"Failed to create {self.what}: {'; '.join(failures) or 'no flow log id'}")
        # DescribeFlowLogs may not list it yet (EC2 is eventually consistent): then what was asked for.
        return self.find() or {
            "FlowLogId": answer["FlowLogIds"][0],
            "ResourceId": self.resource_id,
            "LogDestinationType": CLOUDWATCH_LOGS,
            "LogGroupName": self.log_group_name,
            "TrafficType": settings["traffic_type"],
            "DeliverLogsPermissionArn": settings["deliver_logs_permission_arn"],
            "MaxAggregationInterval": settings["max_aggregation_interval"],
            "LogFormat": settings["log_format"],
            "Tags": boto3_tag_specifications(tags, ["vpc-flow-log"])[0]["Tags"] if tags else [],
        }

    def delete(self, flow_log_id: str) -> None:
        answer = delete_flow_log(self.client, flow_log_id)
        if answer is False:
            return  # deleted meanwhile: the goal is reached
        # AWS answers a flow log it could not delete in Unsuccessful, not with an error.
        failures = [
            f"{item['Error']['Code']}: {item['Error']['Message']}"
            for item in answer.get("Unsuccessful") or []
            if item["Error"]["Code"] != "InvalidFlowLogId.NotFound"
        ]
        if failures:
            self.module.fail_json(msg=f"Failed to delete flow log {flow_log_id}: {'; '.join(failures)}")


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_if=[("state", "present", ["deliver_logs_permission_arn"])],
        supports_check_mode=True,
    )
    task = FlowLogTask(module, retrying_client(module, "ec2"))
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleEC2Error as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
