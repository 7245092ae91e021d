"""The part of the stack whose policies decide what Dagster may do (storage, logs, efs, cluster, iam), deployed to
the emulator the way site.yml deploys it (one play, the roles in site.yml's order, inputs from
group_vars/all/wiring.yml), and its policies read back with boto3 as AWS would hand them to IAM."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from tests.ansible_modules.network import make_network
from tests.roles.runner import run_json_playbook
from tests.support.moto_server import MotoServer

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-southeast-2"
ENVIRONMENT = "iamtest"
PREFIX = f"dagster-ecs-{ENVIRONMENT}"
REPOSITORIES = ["main", "analytics"]
# What the database role outputs (interface 3); the instance itself is not needed to write the policies.
DATABASE_RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVWXY0"
DATABASE_APP_USERNAME = "dagster"

Policy = dict[str, Any]


@dataclass(frozen=True)
class Stack:
    account: str
    bucket: str
    cluster_arn: str
    file_system_arn: str
    access_points: dict[str, str]  # repository -> access point ARN
    storage_key_arn: str
    secret_key_arn: str
    secret_arn: str
    role_arns: dict[str, str]  # role name -> ARN
    role_policies: dict[str, dict[str, Policy]]  # role name -> policy name -> document (inline and attached)
    trust_policies: dict[str, Policy]
    bucket_policy: Policy
    log_bucket: str
    log_bucket_policy: Policy
    file_system_policy: Policy
    key_policies: dict[str, Policy]  # key ARN -> key policy
    outputs: dict[str, Any]  # the iam role's facts

    def role(self, suffix: str) -> str:
        return self.role_arns[f"{PREFIX}-{suffix}"]

    def policies(self, suffix: str) -> dict[str, Policy]:
        return self.role_policies[f"{PREFIX}-{suffix}"]


def _inputs(network: Any, secret_arn: str, storage_key: str, secret_key: str) -> dict[str, Any]:
    """Extra vars: the inventory's settings and the outputs of the roles not applied here (vars_files beat play
    vars, so these must be extra vars to override group_vars/all/main.yml)."""
    return {
        "dagster_ecs_environment": ENVIRONMENT,
        "dagster_ecs_repositories": REPOSITORIES,
        "dagster_ecs_project_dir": str(REPO_ROOT),  # found from playbook_dir in site.yml
        # The network and database roles' outputs, as site.yml would have them by now.
        "network_vpc_id_out": network.vpc_id,
        "network_private_subnet_ids_out": network.subnet_ids,
        "network_security_group_ids": {"efs": network.security_group_ids[0]},
        "database_secret_arn": secret_arn,
        "database_resource_id": DATABASE_RESOURCE_ID,
        "database_app_username": DATABASE_APP_USERNAME,
        # Customer keys: the bucket's (SSE-KMS) and the master secret's.
        "storage_kms_key_arn": storage_key,
        "database_secret_kms_key_arn": secret_key,
        "logs_retention_days": 7,
    }


def _play() -> list[dict[str, Any]]:
    return [
        {
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars_files": [str(REPO_ROOT / "group_vars/all/main.yml"), str(REPO_ROOT / "group_vars/all/wiring.yml")],
            "roles": ["storage", "logs", "efs", "cluster", "iam"],
            "post_tasks": [
                {
                    "name": "Report the iam outputs",
                    "ansible.builtin.debug": {"var": "iam_outputs"},
                    "vars": {
                        "iam_outputs": {
                            "iam_execution_role_arn": "{{ iam_execution_role_arn }}",
                            "iam_dagster_role_arn": "{{ iam_dagster_role_arn }}",
                            "iam_repository_role_arns": "{{ iam_repository_role_arns }}",
                            "iam_publisher_role_arns": "{{ iam_publisher_role_arns }}",
                            "iam_database_setup_role_arn": "{{ iam_database_setup_role_arn | default('') }}",
                        }
                    },
                }
            ],
        }
    ]


def deploy(aws: MotoServer, work_dir: Path) -> Stack:
    """Deploy the roles to the emulator `aws` (an empty account) and read back every policy. The environment must
    point boto3 at `aws` already (make_network uses the default session)."""
    session = boto3.Session(region_name=REGION)
    client = lambda name: session.client(name, endpoint_url=aws.endpoint_url)  # noqa: E731
    network = make_network(REGION)
    kms: Any = client("kms")
    storage_key = kms.create_key(Description="bucket")["KeyMetadata"]["Arn"]
    secret_key = kms.create_key(Description="master secret")["KeyMetadata"]["Arn"]
    # The database role's master secret: the one RDS creates (rds!db-<uuid>) when it manages the master password.
    rds: Any = client("rds")
    rds.create_db_instance(
        DBInstanceIdentifier=PREFIX,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="dagster_admin",
        MasterUserPassword="throwaway-password-0",
    )
    secret_arn = rds.modify_db_instance(
        DBInstanceIdentifier=PREFIX, ManageMasterUserPassword=True, MasterUserSecretKmsKeyId=secret_key
    )["DBInstance"]["MasterUserSecret"]["SecretArn"]

    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "playbook.yml").write_text(json.dumps(_play()))
    (work_dir / "inputs.json").write_text(json.dumps(_inputs(network, secret_arn, storage_key, secret_key)))
    completed, output = run_json_playbook(work_dir, ["-e", "@inputs.json", "playbook.yml"], aws.env(), timeout=600)
    tasks = [task for play in output["plays"] for task in play["tasks"]]
    failed = [task for task in tasks if task["hosts"]["localhost"].get("failed")]
    assert not failed, json.dumps(failed)[:4000]
    assert completed.returncode == 0, completed.stderr[-4000:]
    outputs = tasks[-1]["hosts"]["localhost"]["iam_outputs"]

    iam: Any = client("iam")
    roles = iam.list_roles(PathPrefix=f"/{PREFIX}/")["Roles"]
    role_policies: dict[str, dict[str, Policy]] = {}
    for role in roles:
        name = role["RoleName"]
        inline = {
            policy: iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]
        }
        attached = {}
        for policy in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            version = iam.get_policy(PolicyArn=policy["PolicyArn"])["Policy"]["DefaultVersionId"]
            attached[policy["PolicyName"]] = iam.get_policy_version(PolicyArn=policy["PolicyArn"], VersionId=version)[
                "PolicyVersion"
            ]["Document"]
        role_policies[name] = {**inline, **attached}
    bucket = f"{PREFIX}-{session.client('sts', endpoint_url=aws.endpoint_url).get_caller_identity()['Account']}"
    efs: Any = client("efs")
    [file_system] = efs.describe_file_systems()["FileSystems"]
    access_points = {
        next(tag["Value"] for tag in point["Tags"] if tag["Key"] == "Repository"): point["AccessPointArn"]
        for point in efs.describe_access_points(FileSystemId=file_system["FileSystemId"])["AccessPoints"]
    }
    [cluster_arn] = client("ecs").list_clusters()["clusterArns"]
    return Stack(
        account=roles[0]["Arn"].split(":")[4],
        bucket=bucket,
        cluster_arn=cluster_arn,
        file_system_arn=file_system["FileSystemArn"],
        access_points=access_points,
        storage_key_arn=storage_key,
        secret_key_arn=secret_key,
        secret_arn=secret_arn,
        role_arns={role["RoleName"]: role["Arn"] for role in roles},
        role_policies=role_policies,
        trust_policies={role["RoleName"]: role["AssumeRolePolicyDocument"] for role in roles},
        bucket_policy=json.loads(client("s3").get_bucket_policy(Bucket=bucket)["Policy"]),
        log_bucket=f"{bucket}-logs",
        log_bucket_policy=json.loads(client("s3").get_bucket_policy(Bucket=f"{bucket}-logs")["Policy"]),
        file_system_policy=json.loads(
            efs.describe_file_system_policy(FileSystemId=file_system["FileSystemId"])["Policy"]
        ),
        key_policies={
            key: json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
            for key in (storage_key, secret_key)
        },
        outputs=outputs,
    )
