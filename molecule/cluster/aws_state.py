"""boto3 helpers of the cluster scenario: `prepare OUT.json` makes the upstream resources the roles take as
inputs; `verify IN.json` reads back every security-relevant setting and fails on the first wrong one;
`drift IN.json` changes settings out of band;
`removed IN.json REPO` checks that the code server of REPO is gone.
"""

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import boto3

from readback import check, tags

# The writable volumes of a read-only root: paths inside the containers (the image's VOLUMEs), not on this host.
SCRATCH_PATHS = ("/opt/dagster/home", "/tmp")  # noqa: S108
PREFIX = "dagster-ecs-molecule"
REPOSITORIES = ["main", "analytics"]
REGION = "ap-southeast-2"
TAGS = {"Project": "dagster-ecs", "Environment": "molecule"}
ASSUME_ECS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def prepare(out: Path) -> None:
    ec2 = boto3.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    private = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.61.{n}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for n, az in ((1, "a"), (2, "b"))
    ]
    public = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.61.100.0/24", AvailabilityZone=f"{REGION}a")["Subnet"][
        "SubnetId"
    ]
    groups = {
        kind: ec2.create_security_group(VpcId=vpc_id, GroupName=f"{PREFIX}-{kind}", Description=kind)["GroupId"]
        for kind in ("webserver", "code_server", "run", "alb")
    }
    iam = boto3.client("iam")

    def role(name: str) -> str:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=ASSUME_ECS)["Role"]["Arn"]

    efs = boto3.client("efs")
    file_system_id = efs.create_file_system(CreationToken=PREFIX, Encrypted=True)["FileSystemId"]
    access_points = {}
    for repo in REPOSITORIES:
        point = efs.create_access_point(
            FileSystemId=file_system_id,
            PosixUser={"Uid": 1000, "Gid": 1000},
            RootDirectory={
                "Path": f"/repos/{repo}",
                "CreationInfo": {"OwnerUid": 1000, "OwnerGid": 1000, "Permissions": "0750"},
            },
            Tags=[{"Key": "Name", "Value": f"{PREFIX}-{repo}"}],
        )
        access_points[repo] = {"id": point["AccessPointId"], "arn": point["AccessPointArn"]}
    logs = boto3.client("logs")
    log_groups = {}
    for kind in ("webserver", "daemon", "code_server", "run"):
        name = f"/{PREFIX}/{kind.replace('_', '-')}"
        logs.create_log_group(logGroupName=name)
        log_groups[kind] = name
    # Stands in for the secret RDS keeps the master password in (the database role's database_secret_arn): named
    # like RDS's, rds!db-<uuid>, with its JSON (username and password only).
    secret_arn = boto3.client("secretsmanager").create_secret(
        Name=f"rds!db-{uuid.uuid4()}", SecretString=json.dumps({"username": "dagster_admin", "password": "not-in-env"})
    )["ARN"]
    elbv2 = boto3.client("elbv2")
    target_group_arn = elbv2.create_target_group(
        Name=f"{PREFIX}-web", Protocol="HTTP", Port=3000, VpcId=vpc_id, TargetType="ip"
    )["TargetGroups"][0]["TargetGroupArn"]
    upstream = {
        "vpc_id": vpc_id,
        "private_subnet_ids": private,
        "public_subnet_id": public,
        "security_group_ids": groups,
        "execution_role_arn": role(f"{PREFIX}-execution"),
        "dagster_role_arn": role(f"{PREFIX}-dagster"),
        "repository_role_arns": {repo: role(f"{PREFIX}-repo-{repo}") for repo in REPOSITORIES},
        "efs_file_system_id": file_system_id,
        "efs_access_points": access_points,
        "log_group_names": log_groups,
        "database_secret_arn": secret_arn,
        "target_group_arn": target_group_arn,
        "repositories": REPOSITORIES,
    }
    out.write_text(json.dumps(upstream, indent=2))


def service(ecs: Any, name: str) -> dict[str, Any]:
    [found] = ecs.describe_services(cluster=PREFIX, services=[name], include=["TAGS"])["services"]
    check(found["status"] == "ACTIVE", f"{name} is {found['status']}")
    return found


def verify(upstream_path: Path) -> None:
    up = json.loads(upstream_path.read_text())
    ecs = boto3.client("ecs")
    sd = boto3.client("servicediscovery")

    [cluster] = ecs.describe_clusters(clusters=[PREFIX], include=["SETTINGS", "TAGS"])["clusters"]
    check(cluster["status"] == "ACTIVE", "cluster is not active")
    check(sorted(cluster["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"], f"capacity providers {cluster}")
    check(
        cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}],
        f"default strategy {cluster['defaultCapacityProviderStrategy']}",
    )
    check({"name": "containerInsights", "value": "enabled"} in cluster["settings"], "Container Insights is off")
    check(TAGS.items() <= tags(cluster["tags"]).items(), f"cluster tags {cluster['tags']}")

    namespaces = [ns for ns in sd.list_namespaces()["Namespaces"] if ns["Name"] == f"{PREFIX}.local"]
    check(len(namespaces) == 1, f"namespaces {namespaces}")
    namespace = sd.get_namespace(Id=namespaces[0]["Id"])["Namespace"]
    check(namespace["Type"] == "DNS_PRIVATE", "namespace is not private")
    zone = boto3.client("route53").get_hosted_zone(Id=namespace["Properties"]["DnsProperties"]["HostedZoneId"])
    check([v["VPCId"] for v in zone["VPCs"]] == [up["vpc_id"]], f"namespace VPCs {zone['VPCs']}")
    check(TAGS.items() <= tags(sd.list_tags_for_resource(ResourceARN=namespace["Arn"])["Tags"]).items(), "ns tags")
    listed = sd.list_services(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace["Id"]], "Condition": "EQ"}])
    discovery = {s["Name"]: sd.get_service(Id=s["Id"])["Service"] for s in listed["Services"]}
    check(sorted(discovery) == sorted(up["repositories"]), f"Cloud Map services {sorted(discovery)}")

    secret_prefix = up["database_secret_arn"]
    names = [f"{PREFIX}-webserver", f"{PREFIX}-daemon"] + [f"{PREFIX}-code-{r}" for r in up["repositories"]]
    for name in names:
        svc = service(ecs, name)
        network = svc["networkConfiguration"]["awsvpcConfiguration"]
        check(network["assignPublicIp"] == "DISABLED", f"{name} has a public IP")
        check(sorted(network["subnets"]) == sorted(up["private_subnet_ids"]), f"{name} subnets {network['subnets']}")
        check(up["public_subnet_id"] not in network["subnets"], f"{name} is in a public subnet")
        kind = "code_server" if "-code-" in name else "webserver"
        check(
            network["securityGroups"] == [up["security_group_ids"][kind]], f"{name} groups {network['securityGroups']}"
        )
        breaker = svc["deploymentConfiguration"]["deploymentCircuitBreaker"]
        check(breaker == {"enable": True, "rollback": True}, f"{name} circuit breaker {breaker}")
        check(svc["enableExecuteCommand"] is False, f"{name} allows ECS Exec")
        check(svc["capacityProviderStrategy"][0]["capacityProvider"] == "FARGATE", f"{name} capacity")
        check(TAGS.items() <= tags(svc["tags"]).items(), f"{name} tags {svc['tags']}")
        check(":task-definition/" in svc["taskDefinition"], f"{name} task definition {svc['taskDefinition']}")

        definition = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"], include=["TAGS"])
        td = definition["taskDefinition"]
        check(TAGS.items() <= tags(definition["tags"]).items(), f"{name} task definition tags")
        check(td["networkMode"] == "awsvpc" and td["requiresCompatibilities"] == ["FARGATE"], f"{name} not Fargate")
        check(td["executionRoleArn"] == up["execution_role_arn"], f"{name} execution role")
        [container] = td["containerDefinitions"]
        env = {e["name"]: e["value"] for e in container.get("environment", [])}
        check("DAGSTER_POSTGRES_PASSWORD" not in env, f"{name} has the password in its environment")
        check(all("not-in-env" not in value for value in env.values()), f"{name} leaks the password")
        # The Dagster login signs in with IAM auth tokens: no task holds the database password (issue 9 defect 8).
        check(not container.get("secrets"), f"{name} secrets {container.get('secrets')}")
        check(secret_prefix not in json.dumps(td, default=str), f"{name} names the master secret")
        for key in (
            "DAGSTER_POSTGRES_HOST",
            "DAGSTER_POSTGRES_PORT",
            "DAGSTER_POSTGRES_USER",
            "DAGSTER_POSTGRES_DB",
            "S3_BUCKET",
            "DAGSTER_ECS_ENVIRONMENT",
            "AWS_DEFAULT_REGION",
        ):
            check(key in env, f"{name} lacks {key}")
        log = container["logConfiguration"]
        check(log["logDriver"] == "awslogs", f"{name} log driver")
        check(log["options"].get("mode") == "non-blocking", f"{name} log mode {log['options']}")
        # Read-only root (Security Hub ECS.5), writable task volumes only at the image's VOLUME paths.
        check(container.get("readonlyRootFilesystem") is True, f"{name} root file system is writable")
        scratch = {m["containerPath"]: m["sourceVolume"] for m in container["mountPoints"] if not m.get("readOnly")}
        check(set(SCRATCH_PATHS) <= scratch.keys(), f"{name} scratch mounts {container['mountPoints']}")
        bind_volumes = {v["name"] for v in td["volumes"] if "efsVolumeConfiguration" not in v}
        check({scratch.get(path) for path in SCRATCH_PATHS} <= bind_volumes, f"{name} volumes {td['volumes']}")
        log_kind = "daemon" if name.endswith("-daemon") else kind
        check(log["options"]["awslogs-group"] == up["log_group_names"][log_kind], f"{name} log group {log['options']}")

        if kind == "code_server":
            repo = name.removeprefix(f"{PREFIX}-code-")
            check(td["taskRoleArn"] == up["repository_role_arns"][repo], f"{name} task role {td.get('taskRoleArn')}")
            check(container["command"][-2:] == ["code-server", repo], f"{name} command {container['command']}")
            check(container["portMappings"][0]["containerPort"] == 4000, f"{name} port")
            check(env["DAGSTER_ECS_DAGS_DIR"] == "/opt/dagster/dags", f"{name} dags dir")
            [volume] = [v for v in td["volumes"] if "efsVolumeConfiguration" in v]
            efs = volume["efsVolumeConfiguration"]
            check(efs["fileSystemId"] == up["efs_file_system_id"], f"{name} file system")
            check(efs["transitEncryption"] == "ENABLED", f"{name} EFS transit encryption off")
            check(
                efs["authorizationConfig"] == {"accessPointId": up["efs_access_points"][repo]["id"], "iam": "ENABLED"},
                f"{name} EFS authorization {efs.get('authorizationConfig')}",
            )
            [mount] = [m for m in container["mountPoints"] if m["sourceVolume"] == volume["name"]]
            check(
                mount
                == {"sourceVolume": volume["name"], "containerPath": f"/opt/dagster/dags/{repo}", "readOnly": True},
                f"{name} mount {mount}",
            )
            check(tags(definition["tags"]).get("Repository") == repo, f"{name} Repository tag")
            check(svc["serviceRegistries"] == [{"registryArn": discovery[repo]["Arn"]}], f"{name} registries")
            check(discovery[repo]["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE", f"{repo} routing")
            check(discovery[repo]["DnsConfig"]["DnsRecords"][0]["Type"] == "A", f"{repo} records")
        else:
            check(td["taskRoleArn"] == up["dagster_role_arn"], f"{name} task role")
            check("DAGSTER_ECS_INSTANCE_YAML" in env and "DAGSTER_ECS_WORKSPACE_YAML" in env, f"{name} lacks config")
            for repo in up["repositories"]:
                check(f"{repo}.{PREFIX}.local" in env["DAGSTER_ECS_WORKSPACE_YAML"], f"{name} workspace lacks {repo}")
            check("not-in-env" not in env["DAGSTER_ECS_INSTANCE_YAML"], f"{name} instance holds the password")
        if name.endswith("-webserver"):
            check(
                svc["loadBalancers"]
                == [{"targetGroupArn": up["target_group_arn"], "containerName": "dagster", "containerPort": 3000}],
                f"webserver load balancers {svc['loadBalancers']}",
            )
        if name.endswith("-daemon"):
            check(svc["desiredCount"] == 1, "daemon count")
            check(svc["deploymentConfiguration"]["maximumPercent"] == 100, "two daemons during a deployment")
    print("verified", len(names), "services")


def drift(upstream_path: Path) -> None:
    up = json.loads(upstream_path.read_text())
    ecs = boto3.client("ecs")
    ecs.update_service(
        cluster=PREFIX,
        service=f"{PREFIX}-code-main",
        desiredCount=3,
        networkConfiguration={
            "awsvpcConfiguration": {
                "subnets": up["private_subnet_ids"] + [up["public_subnet_id"]],
                "securityGroups": [up["security_group_ids"]["alb"]],
                "assignPublicIp": "ENABLED",
            }
        },
    )
    ecs.update_cluster_settings(cluster=PREFIX, settings=[{"name": "containerInsights", "value": "disabled"}])


def removed(upstream_path: Path, repo: str) -> None:
    ecs = boto3.client("ecs")
    [svc] = ecs.describe_services(cluster=PREFIX, services=[f"{PREFIX}-code-{repo}"])["services"]
    check(svc["status"] == "INACTIVE" and svc["desiredCount"] == 0, f"code server of {repo} is {svc['status']}")
    active = ecs.list_task_definitions(familyPrefix=f"{PREFIX}-code-{repo}")["taskDefinitionArns"]
    check(active == [], f"task definitions of {repo} still active: {active}")
    names = [s["Name"] for s in boto3.client("servicediscovery").list_services()["Services"]]
    check(repo not in names, f"Cloud Map service {repo} still exists")
    print("removed", repo)


if __name__ == "__main__":
    command, path, *rest = sys.argv[1:]
    {"prepare": prepare, "verify": verify, "drift": drift}.get(command, lambda p: removed(p, *rest))(Path(path))
