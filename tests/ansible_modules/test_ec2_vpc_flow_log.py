"""dagster_ecs.aws.ec2_vpc_flow_log run through PlaybookRunner against moto, checked with boto3."""

from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner

MODULE = "dagster_ecs.aws.ec2_vpc_flow_log"
ACCOUNT = "123456789012"  # the emulator's account
REGION = "ap-southeast-2"
GROUP = "/dagster-ecs-test/vpc-flow-logs"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/dagster-ecs-test/dagster-ecs-test-vpc-flow-logs"
OTHER_ROLE = f"arn:aws:iam::{ACCOUNT}:role/dagster-ecs-test/other"
DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
    "${bytes} ${start} ${end} ${action} ${log-status}"
)


@pytest.fixture
def ec2(playbook: PlaybookRunner) -> Any:
    return boto3.client("ec2")


@pytest.fixture
def vpc_id(ec2: Any) -> str:
    boto3.client("logs").create_log_group(logGroupName=GROUP)
    return ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]


def spec(vpc_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "resource_id": vpc_id,
        "log_group_name": GROUP,
        "traffic_type": "REJECT",
        "deliver_logs_permission_arn": ROLE,
        "tags": {"Name": "dagster-ecs-test-vpc", "Project": "dagster-ecs"},
        **overrides,
    }


def task(args: dict[str, Any], **options: Any) -> dict[str, Any]:
    return {MODULE: args, **options}


def flow_logs(ec2: Any, vpc_id: str) -> list[dict[str, Any]]:
    return ec2.describe_flow_logs(Filter=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]


def tags_of(flow_log: dict[str, Any]) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in flow_log.get("Tags", [])}


def make_flow_log(ec2: Any, vpc_id: str, traffic_type: str = "REJECT", group: str | None = GROUP, **extra: Any) -> str:
    """A flow log made directly with boto3 (to the log group `group`, or to the destination `extra` names); returns
    its id."""
    [flow_log_id] = ec2.create_flow_logs(
        ResourceIds=[vpc_id],
        ResourceType="VPC",
        TrafficType=traffic_type,
        DeliverLogsPermissionArn=ROLE,
        TagSpecifications=[{"ResourceType": "vpc-flow-log", "Tags": [{"Key": "Project", "Value": "dagster-ecs"}]}],
        **({"LogGroupName": group} if group else {}),
        **extra,
    )["FlowLogIds"]
    return flow_log_id


def test_create_is_idempotent_and_tags_update_in_place(playbook: PlaybookRunner, ec2: Any, vpc_id: str):
    [predicted] = playbook.run([task(spec(vpc_id))], check=True)
    assert (predicted["changed"], predicted["replaced"]) == (True, False)
    assert predicted["flow_log"] == {}
    assert predicted["diff"]["before"] == {}
    assert predicted["diff"]["after"] == {
        "resource_id": vpc_id,
        "log_group_name": GROUP,
        "traffic_type": "REJECT",
        "deliver_logs_permission_arn": ROLE,
        "max_aggregation_interval": 600,
        "log_format": DEFAULT_FORMAT,
        "tags": {"Name": "dagster-ecs-test-vpc", "Project": "dagster-ecs"},
    }
    assert flow_logs(ec2, vpc_id) == []

    retagged = spec(vpc_id, tags={"Name": "dagster-ecs-test-vpc", "Stage": "prod"})
    kept = spec(vpc_id, tags={"Owner": "platform"}, purge_tags=False)
    created, again, tag_check, tag_update, tag_again, tag_added, untouched = playbook.run(
        [
            task(spec(vpc_id)),
            task(spec(vpc_id)),
            task(retagged, check_mode=True),
            task(retagged),
            task(retagged),
            task(kept),
            task({**spec(vpc_id), "tags": None}),  # tags unset: left alone
        ]
    )

    assert [r["changed"] for r in (created, again, tag_check, tag_update, tag_again, tag_added, untouched)] == [
        True,
        False,
        True,
        True,
        False,
        True,
        False,
    ]
    assert created["diff"]["after"] == predicted["diff"]["after"]
    assert created["flow_log"]["deliver_logs_status"] == "SUCCESS"
    assert tag_update["replaced"] is False
    assert tag_update["diff"]["before"]["tags"] == {"Name": "dagster-ecs-test-vpc", "Project": "dagster-ecs"}
    assert tag_update["diff"]["after"]["tags"] == {"Name": "dagster-ecs-test-vpc", "Stage": "prod"}
    assert tag_check["diff"] == tag_update["diff"]
    [flow_log] = flow_logs(ec2, vpc_id)
    assert flow_log["FlowLogId"] == created["flow_log"]["flow_log_id"] == untouched["flow_log"]["flow_log_id"]
    assert flow_log["TrafficType"] == "REJECT"
    assert flow_log["LogDestinationType"] == "cloud-watch-logs"
    assert flow_log["LogGroupName"] == GROUP
    assert flow_log["DeliverLogsPermissionArn"] == ROLE
    assert flow_log["MaxAggregationInterval"] == 600
    assert flow_log["LogFormat"] == DEFAULT_FORMAT
    assert tags_of(flow_log) == {"Name": "dagster-ecs-test-vpc", "Stage": "prod", "Owner": "platform"}
    assert untouched["flow_log"]["tags"] == tags_of(flow_log)
    assert untouched["flow_log"]["resource_id"] == vpc_id
    assert untouched["flow_log"]["log_group_name"] == GROUP


def test_settings_that_differ_fail_unless_replace(playbook: PlaybookRunner, ec2: Any, vpc_id: str):
    old_id = make_flow_log(ec2, vpc_id)
    changed = spec(
        vpc_id,
        traffic_type="ALL",
        deliver_logs_permission_arn=OTHER_ROLE,
        max_aggregation_interval=60,
        log_format="${version} ${interface-id} ${srcaddr} ${dstaddr} ${action}",
    )

    [predicted] = playbook.run([task({**changed, "replace": True})], check=True)
    assert (predicted["changed"], predicted["replaced"]) == (True, True)
    assert predicted["diff"]["before"]["traffic_type"] == "REJECT"
    assert predicted["diff"]["after"]["traffic_type"] == "ALL"
    assert [fl["FlowLogId"] for fl in flow_logs(ec2, vpc_id)] == [old_id]

    refused, replaced, again = playbook.run(
        [
            task(changed, ignore_errors=True),
            task({**changed, "replace": True}),
            task({**changed, "replace": True}),
        ]
    )

    assert refused["failed"] is True
    assert old_id in refused["msg"]
    assert "traffic_type: 'REJECT' -> 'ALL'" in refused["msg"]
    assert f"deliver_logs_permission_arn: '{ROLE}' -> '{OTHER_ROLE}'" in refused["msg"]
    assert "max_aggregation_interval: 600 -> 60" in refused["msg"]
    assert "log_format: " in refused["msg"]
    assert "replace=true" in refused["msg"]
    assert (replaced["changed"], replaced["replaced"]) == (True, True)
    assert (again["changed"], again["replaced"]) == (False, False)
    [flow_log] = flow_logs(ec2, vpc_id)
    assert flow_log["FlowLogId"] != old_id
    assert flow_log["FlowLogId"] == replaced["flow_log"]["flow_log_id"]
    assert flow_log["TrafficType"] == "ALL"
    assert flow_log["DeliverLogsPermissionArn"] == OTHER_ROLE
    assert flow_log["MaxAggregationInterval"] == 60
    assert flow_log["LogFormat"] == "${version} ${interface-id} ${srcaddr} ${dstaddr} ${action}"
    assert tags_of(flow_log) == {"Name": "dagster-ecs-test-vpc", "Project": "dagster-ecs"}

    # log_format unset: the existing format is kept, whatever it is.
    [unset] = playbook.run([task({**changed, "log_format": None})])
    assert unset["changed"] is False


def test_a_flow_log_made_with_the_group_arn_is_found_by_name(playbook: PlaybookRunner, ec2: Any, vpc_id: str):
    arn = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{GROUP}"
    made = make_flow_log(ec2, vpc_id, group=None, LogDestination=arn, LogDestinationType="cloud-watch-logs")
    [found] = playbook.run([task(spec(vpc_id, tags={"Project": "dagster-ecs"}))])
    assert found["changed"] is False
    assert found["flow_log"]["flow_log_id"] == made
    assert found["flow_log"]["log_group_name"] == GROUP
    assert found["flow_log"]["deliver_logs_status"] == "SUCCESS"


def test_several_flow_logs_to_the_group_are_refused(playbook: PlaybookRunner, ec2: Any, vpc_id: str):
    ids = {make_flow_log(ec2, vpc_id, "ACCEPT"), make_flow_log(ec2, vpc_id, "REJECT")}
    [refused] = playbook.run([task(spec(vpc_id), ignore_errors=True)])
    assert refused["failed"] is True
    assert set(refused["flow_log_ids"]) == ids
    assert "several flow logs" in refused["msg"]
    assert len(flow_logs(ec2, vpc_id)) == 2


def test_absent_deletes_only_its_flow_log(playbook: PlaybookRunner, ec2: Any, vpc_id: str):
    boto3.client("logs").create_log_group(logGroupName="/another-team/flow-logs")
    ours = make_flow_log(ec2, vpc_id)
    theirs = make_flow_log(ec2, vpc_id, group="/another-team/flow-logs")

    absent = {"resource_id": vpc_id, "log_group_name": GROUP, "state": "absent"}
    [predicted] = playbook.run([task(absent)], check=True)
    assert predicted["changed"] is True
    assert predicted["diff"]["before"]["traffic_type"] == "REJECT"
    assert predicted["diff"]["after"] == {}
    assert {fl["FlowLogId"] for fl in flow_logs(ec2, vpc_id)} == {ours, theirs}

    deleted, again = playbook.run([task(absent), task(absent)])
    assert (deleted["changed"], again["changed"]) == (True, False)
    assert deleted["flow_log"] == again["flow_log"] == {}
    assert [fl["FlowLogId"] for fl in flow_logs(ec2, vpc_id)] == [theirs]
    # The log group stays: its events outlive the flow log.
    assert boto3.client("logs").describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]


def test_bad_input_fails_naming_it(playbook: PlaybookRunner, ec2: Any, vpc_id: str):
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.40.0.0/20")["Subnet"]["SubnetId"]
    not_an_id, without_role, unknown_vpc, subnet = playbook.run(
        [
            task(spec("sg-0123456789abcdef0"), ignore_errors=True),
            task({**spec(vpc_id), "deliver_logs_permission_arn": None}, ignore_errors=True),
            task(spec("vpc-0123456789abcdef0"), ignore_errors=True),
            task(spec(subnet_id, traffic_type="ALL")),
        ]
    )
    assert not_an_id["failed"] is True
    assert "resource_id 'sg-0123456789abcdef0'" in not_an_id["msg"]
    assert without_role["failed"] is True
    assert "deliver_logs_permission_arn" in without_role["msg"]
    assert unknown_vpc["failed"] is True
    assert "InvalidVpcID.NotFound" in unknown_vpc["msg"]
    assert subnet["changed"] is True
    [flow_log] = flow_logs(ec2, subnet_id)
    assert (flow_log["ResourceId"], flow_log["TrafficType"]) == (subnet_id, "ALL")
    assert flow_logs(ec2, vpc_id) == []
