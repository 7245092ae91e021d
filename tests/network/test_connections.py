"""Every connection the services make is allowed by the security groups the network role deploys, and nothing
else is: the role is applied to the emulator, the groups are read back with boto3 and evaluated with AWS's
security-group semantics (tests/network/reachability.py), since moto itself never applies them."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.network.reachability import Party, SecurityGroup, allowed, read_security_groups
from tests.roles.runner import run_role
from tests.support.moto_server import MotoServer
from tests.support.shared import computed_once

PREFIX = "dagster-ecs-net"
ACCOUNT = "123456789012"  # the emulator's account
VPC_CIDR = "10.40.0.0/16"
USER_CIDR = "203.0.113.0/24"  # the inventory's network_alb_ingress_cidrs
# Ports, as the services use them: roles/services/vars/main.yml (_services_code_server_port),
# roles/loadbalancer/defaults/main.yml (loadbalancer_target_port), roles/database (PostgreSQL), NFS for EFS.
WEBSERVER_PORT = 3000
CODE_SERVER_PORT = 4000
POSTGRES_PORT = 5432
NFS_PORT = 2049
HTTPS = 443

SCENARIOS: dict[str, dict[str, Any]] = {
    # site.yml's defaults: one NAT gateway, no sign-in at the load balancer.
    "nat": {},
    # No NAT: the tasks reach AWS through interface endpoints; the load balancer signs users in (OIDC/Cognito).
    "no-nat-sign-in": {"network_nat_gateway": "none", "network_alb_idp_egress": True},
}


@dataclass(frozen=True)
class Deployed:
    scenario: str
    groups: dict[str, SecurityGroup]
    endpoints: list[dict[str, Any]]  # DescribeVpcEndpoints of the VPC
    private_subnet_ids: list[str]
    second_run_changed: list[str]  # tasks a second, identical run reported changed

    def party(self, name: str, purpose: str, address: str) -> Party:
        return Party(name, address, frozenset({self.groups[f"{PREFIX}-{purpose}"].group_id}))

    def allowed(self, source: Party, destination: Party, port: int) -> bool:
        return allowed(self.groups, source, destination, port)


def deploy(scenario: str, moto_server: MotoServer, work_dir: Path) -> Deployed:
    """The network role applied (twice) to an empty account; its security groups as read back."""
    moto_server.reset()
    role_vars = {
        "network_name_prefix": PREFIX,
        "network_vpc_cidr": VPC_CIDR,
        "network_alb_ingress_cidrs": [USER_CIDR],
        **SCENARIOS[scenario],
    }
    run = run_role(work_dir / "first", "network", role_vars, aws=moto_server)
    assert run.rc == 0, run.failures
    again = run_role(work_dir / "again", "network", role_vars, aws=moto_server)
    assert again.rc == 0, again.failures
    vpc_id = run.facts["network_vpc_id_out"]
    ec2 = boto3.client("ec2", **client_options(moto_server))
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
    return Deployed(
        scenario,
        read_security_groups(ec2, vpc_id),
        [e for e in endpoints if e["State"] not in ("deleted", "deleting")],
        run.facts["network_private_subnet_ids_out"],
        again.changed,
    )


@pytest.fixture(scope="module")
def deployments(moto_server: MotoServer, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Deployed]:
    """Each scenario deployed once for the session, whatever order and worker its tests run in (a parametrized
    module-scoped fixture is set up again each time the order switches between its parameters)."""
    deployed: dict[str, Deployed] = {}

    def get(scenario: str) -> Deployed:
        if scenario not in deployed:
            deployed[scenario] = computed_once(
                tmp_path_factory,
                f"network-connections-{scenario}",
                lambda: deploy(scenario, moto_server, tmp_path_factory.mktemp(f"network-{scenario}")),
            )
        return deployed[scenario]

    return get


@pytest.fixture(params=list(SCENARIOS), ids=list(SCENARIOS))
def deployed(request: pytest.FixtureRequest, deployments: Callable[[str], Deployed]) -> Deployed:
    return deployments(request.param)


def client_options(server: MotoServer) -> dict[str, str]:
    env = server.env()
    return {
        "endpoint_url": env["AWS_ENDPOINT_URL"],
        "region_name": env["AWS_DEFAULT_REGION"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }


# Network interfaces of each kind of task, by the security group roles/services gives it (the publisher task of
# playbooks/deploy_dags.yml runs with the code servers' group), and hosts outside the VPC.
def parties(d: Deployed) -> dict[str, Party]:
    return {
        "user": Party("a user in network_alb_ingress_cidrs", "203.0.113.9"),
        "internet": Party("a host on the internet", "198.51.100.7"),
        "idp": Party("the identity provider's token endpoint", "198.51.100.20"),
        "alb": d.party("load balancer", "alb", "10.40.128.10"),
        "webserver": d.party("webserver", "webserver", "10.40.0.10"),
        "daemon": d.party("daemon", "webserver", "10.40.0.11"),
        "code_server": d.party("code server", "code-server", "10.40.0.12"),
        "publisher": d.party("publisher", "code-server", "10.40.0.13"),
        "run": d.party("run", "run", "10.40.0.14"),
        "efs": d.party("EFS mount target", "efs", "10.40.0.20"),
        "database": d.party("PostgreSQL", "database", "10.40.0.21"),
        # Any interface endpoint's network interface (they all share the endpoints group), when there are some.
        **(
            {"endpoint": d.party("interface VPC endpoint", "endpoints", "10.40.0.30")}
            if f"{PREFIX}-endpoints" in d.groups
            else {}
        ),
    }


# (source, destination, port): what the platform needs.
NEEDED = [
    ("user", "alb", HTTPS),
    ("user", "alb", 80),  # redirected to HTTPS
    ("alb", "webserver", WEBSERVER_PORT),
    ("webserver", "database", POSTGRES_PORT),
    ("daemon", "database", POSTGRES_PORT),
    # Sensors and schedules build the instance from the daemon's instance ref inside the code server.
    ("code_server", "database", POSTGRES_PORT),
    ("run", "database", POSTGRES_PORT),
    ("webserver", "code_server", CODE_SERVER_PORT),
    ("daemon", "code_server", CODE_SERVER_PORT),
    ("webserver", "efs", NFS_PORT),
    ("code_server", "efs", NFS_PORT),
    ("run", "efs", NFS_PORT),
    ("publisher", "efs", NFS_PORT),
]

# (source, destination, port): what nothing needs, so must stay closed.
REFUSED = [
    ("internet", "alb", HTTPS),  # only network_alb_ingress_cidrs
    ("internet", "webserver", WEBSERVER_PORT),
    ("internet", "code_server", CODE_SERVER_PORT),
    ("internet", "database", POSTGRES_PORT),
    ("internet", "efs", NFS_PORT),
    ("user", "webserver", WEBSERVER_PORT),  # only through the load balancer
    ("user", "database", POSTGRES_PORT),
    ("code_server", "webserver", WEBSERVER_PORT),
    ("run", "webserver", WEBSERVER_PORT),
    ("run", "code_server", CODE_SERVER_PORT),
    ("code_server", "code_server", CODE_SERVER_PORT),
    ("alb", "code_server", CODE_SERVER_PORT),
    ("alb", "database", POSTGRES_PORT),
    ("alb", "efs", NFS_PORT),
    ("alb", "internet", 80),
    ("database", "internet", HTTPS),  # no egress from the data stores
    ("efs", "internet", HTTPS),
    ("database", "webserver", WEBSERVER_PORT),
    ("webserver", "database", 22),
]


@pytest.mark.parametrize(("source", "destination", "port"), NEEDED, ids=[f"{s}->{d}:{p}" for s, d, p in NEEDED])
def test_every_connection_the_services_make_is_allowed(
    deployed: Deployed, source: str, destination: str, port: int
) -> None:
    p = parties(deployed)
    assert deployed.allowed(p[source], p[destination], port), (
        f"{p[source].name} cannot reach {p[destination].name}:{port}"
    )


@pytest.mark.parametrize(("source", "destination", "port"), REFUSED, ids=[f"{s}->{d}:{p}" for s, d, p in REFUSED])
def test_connections_nothing_needs_are_refused(deployed: Deployed, source: str, destination: str, port: int) -> None:
    p = parties(deployed)
    assert not deployed.allowed(p[source], p[destination], port), (
        f"{p[source].name} can reach {p[destination].name}:{port}"
    )


def test_the_load_balancer_reaches_the_identity_provider_only_when_it_signs_users_in(deployed: Deployed) -> None:
    p = parties(deployed)
    signs_in = bool(SCENARIOS[deployed.scenario].get("network_alb_idp_egress"))
    # AWS, "Authenticate users using an Application Load Balancer": the load balancer calls the IdP's token and
    # user info endpoints itself, over HTTPS, so its security group needs egress 443 to them.
    assert deployed.allowed(p["alb"], p["idp"], HTTPS) is signs_in
    # Nothing else opens for it: the tasks stay reachable only on their ports.
    assert not deployed.allowed(p["alb"], p["webserver"], HTTPS)
    assert not deployed.allowed(p["alb"], p["idp"], 80)


REGION = "ap-southeast-2"
INTERFACE_SERVICES = {
    f"com.amazonaws.{REGION}.{name}" for name in ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "sts", "ecs")
}


def test_a_second_run_changes_nothing(deployed: Deployed) -> None:
    assert deployed.second_run_changed == []


def test_without_nat_the_tasks_reach_the_aws_apis_through_interface_endpoints(deployed: Deployed) -> None:
    interface = [e for e in deployed.endpoints if e["VpcEndpointType"] == "Interface"]
    if SCENARIOS[deployed.scenario].get("network_nat_gateway") != "none":
        assert interface == [], "interface endpoints created although the NAT gateway is the way out"
        assert f"{PREFIX}-endpoints" not in deployed.groups
        return
    assert {e["ServiceName"] for e in interface} == INTERFACE_SERVICES
    group_id = deployed.groups[f"{PREFIX}-endpoints"].group_id
    for endpoint in interface:
        name = endpoint["ServiceName"]
        # Private DNS: the SDKs' usual names (ecr.<region>.amazonaws.com, ...) resolve to the endpoint.
        assert endpoint["PrivateDnsEnabled"], name
        assert sorted(endpoint["SubnetIds"]) == sorted(deployed.private_subnet_ids), name
        assert [g["GroupId"] for g in endpoint["Groups"]] == [group_id], name
    p = parties(deployed)
    for task in ("webserver", "daemon", "code_server", "publisher", "run"):
        assert deployed.allowed(p[task], p["endpoint"], HTTPS), task
    for outsider in ("alb", "user", "internet", "database"):
        assert not deployed.allowed(p[outsider], p["endpoint"], HTTPS), outsider
    assert not deployed.allowed(p["run"], p["endpoint"], 80)


def test_the_s3_gateway_endpoint_lets_the_tasks_reach_only_this_accounts_buckets_and_ecr_layers(
    deployed: Deployed,
) -> None:
    [gateway] = [e for e in deployed.endpoints if e["VpcEndpointType"] == "Gateway"]
    assert gateway["ServiceName"] == f"com.amazonaws.{REGION}.s3"
    policy = json.loads(gateway["PolicyDocument"])
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    assert set(statements) == {"ThisAccountsBuckets", "EcrImageLayers"}
    assert all(s["Effect"] == "Allow" for s in statements.values())
    assert statements["ThisAccountsBuckets"]["Condition"] == {"StringEquals": {"aws:ResourceAccount": ACCOUNT}}
    assert statements["EcrImageLayers"]["Action"] == "s3:GetObject"
    assert statements["EcrImageLayers"]["Resource"] == f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*"


def test_the_default_security_group_of_the_vpc_allows_nothing(deployed: Deployed) -> None:
    """Security Hub EC2.2: an interface left in the VPC's default group reaches nothing and nothing reaches it."""
    default = deployed.groups["default"]
    assert (default.ingress, default.egress) == ((), ())
