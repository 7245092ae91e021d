"""What the Fargate DAG publisher needs in an account, made directly with boto3 on the emulator: a VPC (DNS
hostnames on, as the network role makes it), the bucket, a cluster, the code servers' log group and a publisher
task definition shaped like the services role's (`<prefix>-publish-<repo>`, the access point mounted read-write).

Used with tests/support/fargate_agent.py, which plays Fargate's agent with `mounts` standing in for EFS.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-southeast-2"
ACCOUNT = "123456789012"
PREFIX = "dagster-ecs-test"
BUCKET = f"{PREFIX}-bucket"
CLUSTER = PREFIX
LOG_GROUP = f"/{PREFIX}/code-server"
DAGS_DIR = "/opt/dagster/dags"


@dataclass(frozen=True)
class PublisherStack:
    vpc_id: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    families: dict[str, str]  # repository -> publisher task definition family
    sources: Path  # a copy of dags/ the test may change
    efs: Path  # the stand-in file system: one directory per repository

    @property
    def mounts(self) -> dict[str, Path]:
        """Container path -> local directory, for the agent stand-in."""
        return {f"{DAGS_DIR}/{repo}": self.efs / repo for repo in self.families}


def publisher_container(repo: str) -> dict[str, Any]:
    mount = f"{DAGS_DIR}/{repo}"
    return {
        "name": "dagster",
        "image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/dagster-ecs:test",
        "essential": True,
        "command": ["python", "-m", "dagster_ecs.publish", "releases", mount],
        "environment": [{"name": "AWS_DEFAULT_REGION", "value": REGION}],
        "mountPoints": [{"sourceVolume": "dags", "containerPath": mount, "readOnly": False}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": LOG_GROUP,
                "awslogs-region": REGION,
                "awslogs-stream-prefix": f"publish-{repo}",
            },
        },
    }


def make_publisher_stack(work_dir: Path, repositories: list[str]) -> PublisherStack:
    ec2: Any = boto3.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.40.{index}.0/24", AvailabilityZone=f"{REGION}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("ab", start=1)
    ]
    group_id = ec2.create_security_group(VpcId=vpc_id, GroupName="code-server", Description="code servers")["GroupId"]
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    boto3.client("logs").create_log_group(logGroupName=LOG_GROUP)
    ecs: Any = boto3.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    families = {}
    for index, repo in enumerate(repositories):
        families[repo] = f"{PREFIX}-publish-{repo}"
        ecs.register_task_definition(
            family=families[repo],
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            executionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}/{PREFIX}-execution",
            taskRoleArn=f"arn:aws:iam::{ACCOUNT}:role/{PREFIX}/{PREFIX}-pub-{repo}",
            containerDefinitions=[publisher_container(repo)],
            volumes=[
                {
                    "name": "dags",
                    "efsVolumeConfiguration": {
                        "fileSystemId": "fs-0123456789abcdef0",
                        "transitEncryption": "ENABLED",
                        "authorizationConfig": {"accessPointId": f"fsap-012345678901234{index:02d}", "iam": "ENABLED"},
                    },
                }
            ],
        )
    sources = work_dir / "dags"
    for repo in repositories:
        shutil.copytree(REPO_ROOT / "dags" / repo, sources / repo, ignore=shutil.ignore_patterns("__pycache__"))
    (work_dir / "efs").mkdir()
    return PublisherStack(vpc_id, subnet_ids, [group_id], families, sources, work_dir / "efs")
