"""The network and loadbalancer roles' interfaces: bad input fails before any AWS call, naming the variable;
valid input under --check on an empty account reads AWS, writes nothing and leaves the outputs empty."""

from pathlib import Path
from typing import Any

import pytest

from tests.roles.runner import BadInput, Refusals, checked, refusals
from tests.support.moto_server import MotoServer
from tests.support.shared import computed_once

ACCOUNT = "123456789012"
PREFIX = "dagster-ecs-test"
CERTIFICATE = f"arn:aws:acm:ap-southeast-2:{ACCOUNT}:certificate/0a1b2c3d-0000-4000-8000-000000000000"
SECRET = f"arn:aws:secretsmanager:ap-southeast-2:{ACCOUNT}:secret:{PREFIX}/oidc-AbCdEf"
VPC = "vpc-0123456789abcdef0"
USER_POOL = "ap-southeast-2_AbC123"
SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
OIDC = {
    "loadbalancer_certificate_arn": CERTIFICATE,
    "loadbalancer_authentication": "oidc",
    "loadbalancer_oidc_issuer": "https://login.example.com",
    "loadbalancer_oidc_authorization_endpoint": "https://login.example.com/authorize",
    "loadbalancer_oidc_token_endpoint": "https://login.example.com/token",
    "loadbalancer_oidc_user_info_endpoint": "https://login.example.com/userinfo",
    "loadbalancer_oidc_client_id": "dagster",
    "loadbalancer_oidc_client_secret_arn": SECRET,
}
COGNITO = {
    "loadbalancer_certificate_arn": CERTIFICATE,
    "loadbalancer_authentication": "cognito",
    "loadbalancer_cognito_user_pool_arn": f"arn:aws:cognito-idp:ap-southeast-2:{ACCOUNT}:userpool/{USER_POOL}",
    "loadbalancer_cognito_user_pool_client_id": "1example23456789",
    "loadbalancer_cognito_user_pool_domain": "dagster",
}

# Valid input for each role: each bad-input case changes one or more variables of it.
VALID: dict[str, dict[str, Any]] = {
    "network": {"network_name_prefix": PREFIX, "network_tags": {"Project": "dagster-ecs"}},
    "loadbalancer": {
        "loadbalancer_name_prefix": PREFIX,
        "loadbalancer_tags": {"Project": "dagster-ecs"},
        "loadbalancer_vpc_id": VPC,
        "loadbalancer_subnet_ids": SUBNETS,
        "loadbalancer_security_group_ids": ["sg-0123456789abcdef0"],
    },
}

# (role, changed variables, text the failure must contain)
BAD_INPUTS: list[tuple[str, dict[str, Any], str]] = [
    ("network", {"network_state": "gone"}, "network_state"),
    ("network", {"network_name_prefix": "Dagster_ECS"}, "network_name_prefix"),
    ("network", {"network_name_prefix": "dagster-ecs-much-too-long-prefix"}, "network_name_prefix"),
    # The stack's name prefix rule (dagster_ecs.names), which this role's own regex once relaxed.
    ("network", {"network_name_prefix": "dagster--ecs"}, "network_name_prefix"),
    ("network", {"network_vpc_cidr": "10.40.0.0/33"}, "network_vpc_cidr"),
    ("network", {"network_vpc_cidr": "10.400.0.0/16"}, "network_vpc_cidr"),
    ("network", {"network_vpc_cidr": "10.40.0.0"}, "network_vpc_cidr"),
    ("network", {"network_vpc_cidr": "10.40.1.0/16"}, "network_vpc_cidr"),  # host bits set
    ("network", {"network_vpc_cidr": "10.0.0.0/8"}, "network_vpc_cidr"),  # larger than AWS allows
    ("network", {"network_vpc_cidr": "10.40.0.0/26"}, "network_vpc_cidr"),  # too small for the subnets
    ("network", {"network_alb_ingress_cidrs": ["0.0.0.0/0", "192.168.1.0/33"]}, "network_alb_ingress_cidrs"),
    ("network", {"network_alb_ingress_cidrs": ["203.0.113.7/24"]}, "network_alb_ingress_cidrs"),
    ("network", {"network_alb_ingress_cidrs": [16]}, "network_alb_ingress_cidrs"),
    ("network", {"network_nat_gateway": "two"}, "network_nat_gateway"),
    ("network", {"network_s3_endpoint": "perhaps"}, "network_s3_endpoint"),
    ("network", {"network_availability_zones": ["ap-southeast-2a"]}, "network_availability_zones"),
    ("network", {"network_availability_zones": ["sydney-a", "sydney-b"]}, "network_availability_zones"),
    ("network", {"network_vpc_id": "vpc-123", "network_private_subnet_ids": SUBNETS}, "network_vpc_id"),
    (
        "network",
        {"network_vpc_id": VPC, "network_private_subnet_ids": ["subnet-1", "subnet-2"]},
        "network_private_subnet_ids",
    ),
    ("network", {"network_vpc_id": VPC, "network_private_subnet_ids": SUBNETS[:1]}, "network_private_subnet_ids"),
    (
        "network",
        {"network_vpc_id": VPC, "network_private_subnet_ids": SUBNETS, "network_public_subnet_ids": ["sn-1"]},
        "network_public_subnet_ids",
    ),
    ("network", {"network_private_subnet_ids": SUBNETS}, "network_vpc_id"),  # subnets without their VPC
    ("network", {"network_flow_logs": "perhaps"}, "network_flow_logs"),
    ("network", {"network_flow_logs_traffic_type": "NONE"}, "network_flow_logs_traffic_type"),
    ("network", {"network_flow_logs_traffic_type": "reject"}, "network_flow_logs_traffic_type"),
    ("network", {"network_flow_logs_retention_days": 31}, "network_flow_logs_retention_days"),
    ("network", {"network_flow_logs_retention_days": "forever"}, "network_flow_logs_retention_days"),
    ("network", {"network_kms_key_arn": "alias/aws/logs"}, "network_kms_key_arn"),
    ("loadbalancer", {"loadbalancer_state": "gone"}, "loadbalancer_state"),
    ("loadbalancer", {"loadbalancer_name_prefix": "internal-dagster"}, "loadbalancer_name_prefix"),
    ("loadbalancer", {"loadbalancer_name_prefix": "dagster-ecs-much-too-long-prefix"}, "loadbalancer_name_prefix"),
    ("loadbalancer", {"loadbalancer_name_prefix": "dagster--ecs"}, "loadbalancer_name_prefix"),
    ("loadbalancer", {"loadbalancer_enabled": "sometimes"}, "loadbalancer_enabled"),
    ("loadbalancer", {"loadbalancer_vpc_id": "my-vpc"}, "loadbalancer_vpc_id"),
    ("loadbalancer", {"loadbalancer_subnet_ids": SUBNETS[:1]}, "loadbalancer_subnet_ids"),
    ("loadbalancer", {"loadbalancer_security_group_ids": ["alb"]}, "loadbalancer_security_group_ids"),
    ("loadbalancer", {"loadbalancer_certificate_arn": "my-certificate"}, "loadbalancer_certificate_arn"),
    # Plain HTTP open to the internet is refused: the message names the missing certificate.
    ("loadbalancer", {"loadbalancer_internal": False}, "loadbalancer_certificate_arn"),
    ("loadbalancer", {**OIDC, "loadbalancer_certificate_arn": ""}, "loadbalancer_certificate_arn"),
    ("loadbalancer", {**OIDC, "loadbalancer_oidc_issuer": "http://login.example.com"}, "loadbalancer_oidc_issuer"),
    ("loadbalancer", {**OIDC, "loadbalancer_oidc_token_endpoint": ""}, "loadbalancer_oidc_token_endpoint"),
    ("loadbalancer", {**OIDC, "loadbalancer_oidc_client_id": ""}, "loadbalancer_oidc_client_id"),
    ("loadbalancer", {**OIDC, "loadbalancer_oidc_client_secret": "x"}, "loadbalancer_oidc_client_secret"),
    (
        "loadbalancer",
        {**OIDC, "loadbalancer_oidc_client_secret_arn": "oidc-secret"},
        "loadbalancer_oidc_client_secret_arn",
    ),
    ("loadbalancer", {**COGNITO, "loadbalancer_cognito_user_pool_arn": "pool"}, "loadbalancer_cognito_user_pool_arn"),
    ("loadbalancer", {**COGNITO, "loadbalancer_cognito_user_pool_domain": ""}, "loadbalancer_cognito_user_pool_domain"),
    ("loadbalancer", {"loadbalancer_authentication": "saml"}, "loadbalancer_authentication"),
    ("loadbalancer", {"loadbalancer_access_logs_bucket": "Logs_Bucket"}, "loadbalancer_access_logs_bucket"),
]


# The OIDC client secret given in plain text, with an input refused: the failure must not show the secret.
SECRET_CASE = BadInput(
    "secret",
    "loadbalancer",
    {
        **VALID["loadbalancer"],
        **OIDC,
        "loadbalancer_oidc_client_secret_arn": "",
        "loadbalancer_oidc_client_secret": "s3cr3t-value",
        "loadbalancer_vpc_id": "x",
    },
)


def _without_name_prefix(role: str) -> BadInput:
    required = f"{role}_name_prefix"
    return BadInput(f"no {required}", role, {k: v for k, v in VALID[role].items() if k != required})


@pytest.fixture(scope="module")
def refused(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Refusals:
    """Every bad-input case in one ansible-playbook run, shared by the session's workers."""
    cases = [BadInput(f"{r}:{c!r}", r, {**VALID[r], **c}) for r, c, _ in BAD_INPUTS]
    # After cases that set each prefix: refused only if no case's vars reach the cases after it.
    cases += [SECRET_CASE, _without_name_prefix("network"), _without_name_prefix("loadbalancer")]
    return computed_once(
        tmp_path_factory,
        "network-bad-inputs",
        lambda: refusals(moto_server, tmp_path_factory.mktemp("network-bad-inputs"), cases),
    )


@pytest.mark.parametrize(("role", "changes", "named"), BAD_INPUTS, ids=[f"{r}:{c!r}"[:70] for r, c, _ in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call(refused: Refusals, role: str, changes: dict[str, Any], named: str) -> None:
    failure = refused.failure(f"{role}:{changes!r}", accepted=f"{changes} was accepted")
    assert named in failure["msg"], failure["msg"]


def test_the_bad_inputs_made_no_aws_call(refused: Refusals) -> None:
    assert refused.calls == [], "the run of the bad-input cases called AWS"


def test_the_oidc_client_secret_never_appears_in_a_failure(refused: Refusals) -> None:
    case = refused.cases[SECRET_CASE.id]
    assert case.recorded is not None, "the load balancer with a malformed VPC id was accepted"
    assert "s3cr3t-value" not in repr(case.failures)
    assert "s3cr3t-value" not in repr(case.recorded)


@pytest.mark.parametrize("role", ["network", "loadbalancer"])
def test_a_missing_name_prefix_is_named(refused: Refusals, role: str) -> None:
    failure = refused.failure(_without_name_prefix(role).id)
    assert f"{role}_name_prefix" in failure["msg"], failure["msg"]


# Under --check on an empty account nothing exists yet: ids are empty; the VPC CIDR is the one it will get.
EXPECTED_OUTPUTS: dict[str, dict[str, Any]] = {
    "network": {
        "network_vpc_id_out": "",
        "network_vpc_cidr_out": "10.40.0.0/16",
        "network_private_subnet_ids_out": [],
        "network_public_subnet_ids_out": [],
        "network_security_group_ids": {},
    },
    "loadbalancer": {"loadbalancer_target_group_arn": "", "loadbalancer_dns_name": "", "loadbalancer_arn": ""},
}


@pytest.mark.parametrize(
    ("role", "changes"),
    [
        ("network", {}),
        ("network", {"network_nat_gateway": "per_az", "network_alb_ingress_cidrs": ["0.0.0.0/0", "10.1.0.0/16"]}),
        ("network", {"network_flow_logs": False}),
        ("loadbalancer", {}),
        ("loadbalancer", OIDC),
        ("loadbalancer", {**COGNITO, "loadbalancer_internal": False}),
        ("loadbalancer", {"loadbalancer_enabled": False, "loadbalancer_vpc_id": "", "loadbalancer_subnet_ids": []}),
    ],
    ids=[
        "network",
        "network-per-az-public",
        "network-flow-logs-off",
        "lb-internal-http",
        "lb-oidc",
        "lb-cognito-public",
        "lb-disabled",
    ],
)
def test_valid_input_under_check_reads_and_writes_nothing(
    aws: MotoServer, tmp_path: Path, role: str, changes: dict[str, Any]
) -> None:
    run = checked(aws, tmp_path, role, {**VALID[role], **changes})
    assert run.calls, "valid input made no AWS call at all: the bad-input tests would prove nothing"
    if changes.get("loadbalancer_enabled", True):
        assert run.changed, "check mode on an empty account reported nothing to create"
    else:
        assert run.changed == [], "a disabled load balancer on an empty account has nothing to remove"
    for name, value in EXPECTED_OUTPUTS[role].items():
        assert run.facts[name] == value, name
