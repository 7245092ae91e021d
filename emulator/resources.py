"""`python -m emulator.resources`: every resource left in the emulator's account, beyond what AWS starts with.

Prints JSON {kind: [ids]}; empty lists everywhere mean a clean account. Works against any endpoint boto3 is
pointed at, so the whole-stack scenario (molecule/default) can prove that its teardown leaves nothing behind.
"""

import json
from collections.abc import Callable
from typing import Any

import boto3


def _non_default_vpcs(ec2: Any) -> list[str]:
    return [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def leftovers() -> dict[str, list[str]]:
    """Resource ids by kind, for every kind the project's roles create."""
    ec2, s3, ecr, logs = (boto3.client(n) for n in ("ec2", "s3", "ecr", "logs"))
    efs, rds, sm, ecs = (boto3.client(n) for n in ("efs", "rds", "secretsmanager", "ecs"))
    sd, iam, elbv2 = (boto3.client(n) for n in ("servicediscovery", "iam", "elbv2"))
    vpcs = set(_non_default_vpcs(ec2))
    in_project_vpc = [{"Name": "vpc-id", "Values": sorted(vpcs)}] if vpcs else None

    def ec2_list(call: Callable[..., dict[str, Any]], key: str, id_key: str) -> list[str]:
        if in_project_vpc is None:
            return []
        return [item[id_key] for item in call(Filters=in_project_vpc)[key]]

    gone = ("deleted", "deleting")
    nat_gateways = [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] not in gone]
    return {
        "vpcs": sorted(vpcs),
        "subnets": ec2_list(ec2.describe_subnets, "Subnets", "SubnetId"),
        "security_groups": ec2_list(ec2.describe_security_groups, "SecurityGroups", "GroupId"),
        "internet_gateways": [
            g["InternetGatewayId"]
            for g in ec2.describe_internet_gateways()["InternetGateways"]
            if any(a["VpcId"] in vpcs for a in g.get("Attachments", [])) or not g.get("Attachments")
        ],
        "nat_gateways": nat_gateways,
        "elastic_ips": [a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]],
        "flow_logs": [f["FlowLogId"] for f in ec2.describe_flow_logs()["FlowLogs"]],
        "vpc_endpoints": [
            e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"].lower() not in gone
        ],
        "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]],
        "ecr_repositories": [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]],
        "log_groups": [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]],
        "file_systems": [f["FileSystemId"] for f in efs.describe_file_systems()["FileSystems"]],
        "db_instances": [d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]],
        "db_subnet_groups": [g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]],
        "secrets": [s["Name"] for s in sm.list_secrets()["SecretList"] if "DeletedDate" not in s],
        "ecs_clusters": [
            c["clusterName"]
            for c in ecs.describe_clusters(clusters=ecs.list_clusters()["clusterArns"] or ["none"])["clusters"]
            if c.get("status") == "ACTIVE"
        ],
        "task_definitions": ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"],
        "namespaces": [n["Name"] for n in sd.list_namespaces()["Namespaces"]],
        "iam_roles": [r["RoleName"] for r in iam.list_roles()["Roles"] if not r["Path"].startswith("/aws-service")],
        "load_balancers": [lb["LoadBalancerName"] for lb in elbv2.describe_load_balancers()["LoadBalancers"]],
        "target_groups": [t["TargetGroupName"] for t in elbv2.describe_target_groups()["TargetGroups"]],
    }


def main() -> int:
    print(json.dumps(leftovers(), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
