"""Read back what converge.yml made in the emulator and assert every security-relevant setting; drive the drift,
repository-removal and teardown checks. Run by verify.yml: `python verify_stack.py STEP --calls CALL_LOG`.

The expected documents are written out here, independently of the roles' templates: they are the design.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

from readback import check, equal, tags, write_count

SCENARIO_DIR = Path(__file__).resolve().parent
REPO_ROOT = SCENARIO_DIR.parents[1]
PREFIX = "dagster-ecs-molecule-tests"
ACCOUNT = "123456789012"
REGION = "ap-southeast-2"
BUCKET = f"{PREFIX}-{ACCOUNT}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
LOG_BUCKET = f"{BUCKET}-logs"
LOG_BUCKET_ARN = f"arn:aws:s3:::{LOG_BUCKET}"
# Elastic Load Balancing's account in ap-southeast-2 (AWS's "Enable access logs for your Application Load Balancer").
ELB_ACCOUNT = "783225319266"
REPOSITORY = f"{PREFIX}/dagster"
PATH = f"/{PREFIX}/"
ALL_REPOSITORIES = ["main", "analytics", "repository-name-of-32-characters"]
TAGS = {"Project": "dagster-ecs", "Environment": "molecule", "ManagedBy": "ansible"}
LOG_GROUPS = {kind: f"/{PREFIX}/{kind.replace('_', '-')}" for kind in ("webserver", "daemon", "code_server", "run")}
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{PREFIX}/database-AbCdEf"
EFS_ARN = f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:file-system/fs-0123456789abcdef0"
CLUSTER_ARN = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/{PREFIX}"
ECS = f"arn:aws:ecs:{REGION}:{ACCOUNT}"


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role{PATH}{name}"


def access_point_arn(index: int) -> str:
    return f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT}:access-point/fsap-0000000000000000{index}"


TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "EcsTasksOfThisAccount",
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:*"},
            },
        }
    ],
}

EXECUTION_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        # No task definition injects a secret (the Dagster login signs in with IAM auth tokens): no secret here.
        {
            "Sid": "WriteProjectLogStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:log-stream:*" for name in LOG_GROUPS.values()
            ],
        },
    ],
}

DATABASE_SETUP_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadMasterSecret",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": [SECRET_ARN],
        }
    ],
}


def dagster_policy(repositories: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RunCodeServerTaskDefinitions",
                "Effect": "Allow",
                "Action": "ecs:RunTask",
                "Resource": f"{ECS}:task-definition/{PREFIX}-code-*:*",
                "Condition": {"ArnEquals": {"ecs:cluster": CLUSTER_ARN}},
            },
            {
                "Sid": "ManageTasksInCluster",
                "Effect": "Allow",
                "Action": ["ecs:DescribeTasks", "ecs:StopTask"],
                "Resource": f"{ECS}:task/{PREFIX}/*",
            },
            {
                "Sid": "TagOnCreate",
                "Effect": "Allow",
                "Action": "ecs:TagResource",
                "Resource": f"{ECS}:task/{PREFIX}/*",
                "Condition": {"StringEquals": {"ecs:CreateAction": "RunTask"}},
            },
            {
                "Sid": "TaskDefinitionsUnscopable",
                "Effect": "Allow",
                "Action": "ecs:DescribeTaskDefinition",
                "Resource": "*",
            },
            {
                "Sid": "PassProjectRolesToEcsTasks",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": [role_arn(f"{PREFIX}-execution")]
                + [role_arn(f"{PREFIX}-repo-{repo}") for repo in repositories],
                "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
            },
            {
                "Sid": "ReadComputeLogs",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"{BUCKET_ARN}/compute_logs/*",
            },
            {
                "Sid": "ListComputeLogs",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": BUCKET_ARN,
                "Condition": {"StringLike": {"s3:prefix": ["compute_logs/*"]}},
            },
            {
                "Sid": "ReadRunWorkerLogs",
                "Effect": "Allow",
                "Action": "logs:GetLogEvents",
                "Resource": [
                    f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{LOG_GROUPS['run']}:log-stream:{repo}/*"
                    for repo in repositories
                ],
            },
        ],
    }


def repository_policy(repo: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RepositoryObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": f"{BUCKET_ARN}/repos/{repo}/*",
            },
            {
                "Sid": "RepositoryComputeLogs",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": f"{BUCKET_ARN}/compute_logs/{repo}/*",
            },
            {
                "Sid": "ListRepositoryPrefixes",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": BUCKET_ARN,
                "Condition": {"StringLike": {"s3:prefix": [f"repos/{repo}/*", f"compute_logs/{repo}/*"]}},
            },
            # Code servers and runs mount read-only; only the repository's publisher writes to EFS.
            {
                "Sid": "MountOwnAccessPointReadOnly",
                "Effect": "Allow",
                "Action": "elasticfilesystem:ClientMount",
                "Resource": EFS_ARN,
                "Condition": {
                    "StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn(ALL_REPOSITORIES.index(repo))}
                },
            },
        ],
    }


# -------------------------------------------------------------------------------------------------- settings


def verify_bucket() -> None:
    s3 = boto3.client("s3")
    equal(
        s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"],
        [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}],
        "bucket default encryption",
    )
    equal(s3.get_bucket_versioning(Bucket=BUCKET).get("Status"), "Enabled", "bucket versioning")
    equal(
        s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"],
        {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
        "bucket public access block",
    )
    equal(
        s3.get_bucket_ownership_controls(Bucket=BUCKET)["OwnershipControls"]["Rules"],
        [{"ObjectOwnership": "BucketOwnerEnforced"}],
        "bucket object ownership",
    )
    equal(
        json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"]),
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        },
        "bucket policy",
    )
    rules = {rule["ID"]: rule for rule in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]}
    equal(sorted(rules), ["expire-compute-logs", "expire-noncurrent-versions"], "lifecycle rule ids")
    compute_logs = rules["expire-compute-logs"]
    equal(compute_logs["Status"], "Enabled", "compute log rule status")
    equal(compute_logs["Filter"], {"Prefix": "compute_logs/"}, "compute log rule filter")
    equal(compute_logs["Expiration"], {"Days": 14}, "compute log expiration")
    noncurrent = rules["expire-noncurrent-versions"]
    equal(noncurrent["Status"], "Enabled", "non-current version rule status")
    equal(noncurrent["Filter"], {"Prefix": ""}, "non-current version rule filter (whole bucket)")
    equal(noncurrent["NoncurrentVersionExpiration"], {"NoncurrentDays": 60}, "non-current version expiration")
    equal(noncurrent["AbortIncompleteMultipartUpload"], {"DaysAfterInitiation": 7}, "multipart upload abort")
    equal(tags(s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"]), TAGS, "bucket tags")
    equal(
        s3.get_bucket_logging(Bucket=BUCKET).get("LoggingEnabled"),
        {"TargetBucket": LOG_BUCKET, "TargetPrefix": f"s3/{BUCKET}/"},
        "bucket server access logging",
    )


def verify_log_bucket() -> None:
    """Private, TLS only, SSE-S3 (ALB log delivery supports nothing else), written only by S3's log delivery for the
    data bucket and by Elastic Load Balancing under alb/AWSLogs/<account>/."""
    s3 = boto3.client("s3")
    equal(
        s3.get_bucket_encryption(Bucket=LOG_BUCKET)["ServerSideEncryptionConfiguration"]["Rules"],
        [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}],
        "log bucket default encryption",
    )
    equal(s3.get_bucket_versioning(Bucket=LOG_BUCKET).get("Status"), "Enabled", "log bucket versioning")
    equal(
        s3.get_public_access_block(Bucket=LOG_BUCKET)["PublicAccessBlockConfiguration"],
        {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True},
        "log bucket public access block",
    )
    equal(
        s3.get_bucket_ownership_controls(Bucket=LOG_BUCKET)["OwnershipControls"]["Rules"],
        [{"ObjectOwnership": "BucketOwnerEnforced"}],
        "log bucket object ownership",
    )
    load_balancer_logs = f"{LOG_BUCKET_ARN}/alb/AWSLogs/{ACCOUNT}/*"
    equal(
        json.loads(s3.get_bucket_policy(Bucket=LOG_BUCKET)["Policy"]),
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [LOG_BUCKET_ARN, f"{LOG_BUCKET_ARN}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "ServerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{LOG_BUCKET_ARN}/s3/{BUCKET}/*",
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": BUCKET_ARN},
                        "StringEquals": {"aws:SourceAccount": ACCOUNT},
                    },
                },
                {
                    "Sid": "LoadBalancerAccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": load_balancer_logs,
                },
                {
                    "Sid": "LoadBalancerAccessLogsRegionalAccount",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ELB_ACCOUNT}:root"},
                    "Action": "s3:PutObject",
                    "Resource": load_balancer_logs,
                },
            ],
        },
        "log bucket policy",
    )
    [rule] = s3.get_bucket_lifecycle_configuration(Bucket=LOG_BUCKET)["Rules"]
    equal(rule["ID"], "expire-access-logs", "log bucket lifecycle rule id")
    equal(rule["Filter"], {"Prefix": ""}, "log bucket lifecycle filter (whole bucket)")
    equal(rule["Expiration"], {"Days": 30}, "access log expiration")
    equal(rule["NoncurrentVersionExpiration"], {"NoncurrentDays": 60}, "log bucket non-current version expiration")
    equal(tags(s3.get_bucket_tagging(Bucket=LOG_BUCKET)["TagSet"]), TAGS, "log bucket tags")


def verify_repository() -> None:
    ecr = boto3.client("ecr")
    [repository] = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"]
    equal(repository["imageTagMutability"], "IMMUTABLE", "ECR tag mutability")
    equal(repository["imageScanningConfiguration"], {"scanOnPush": True}, "ECR scan on push")
    equal(repository["encryptionConfiguration"], {"encryptionType": "AES256"}, "ECR encryption")
    equal(
        json.loads(ecr.get_lifecycle_policy(repositoryName=REPOSITORY)["lifecyclePolicyText"]),
        {
            "rules": [
                {
                    "rulePriority": 1,
                    "description": "Keep the last 25 images",
                    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 25},
                    "action": {"type": "expire"},
                }
            ]
        },
        "ECR lifecycle policy",
    )
    equal(tags(ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]), TAGS, "ECR tags")


def verify_log_groups() -> None:
    logs = boto3.client("logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups(logGroupNamePrefix=f"/{PREFIX}/")["logGroups"]}
    equal(sorted(groups), sorted(LOG_GROUPS.values()), "log groups")
    for name, group in groups.items():
        equal(group.get("retentionInDays"), 90, f"retention of {name}")
        equal(group.get("kmsKeyId"), None, f"KMS key of {name}")
        arn = group["arn"].removesuffix(":*")
        equal(logs.list_tags_for_resource(resourceArn=arn)["tags"], TAGS, f"tags of {name}")


def verify_roles(repositories: list[str]) -> None:
    iam = boto3.client("iam")
    roles = {role["RoleName"]: role for role in iam.list_roles(PathPrefix=PATH)["Roles"]}
    expected = {
        f"{PREFIX}-execution": ({"execution": EXECUTION_POLICY}, TAGS),
        f"{PREFIX}-dagster": ({"dagster": dagster_policy(repositories)}, TAGS),
        f"{PREFIX}-db-setup": ({"db-setup": DATABASE_SETUP_POLICY}, {**TAGS, "Component": "db-setup"}),
    }
    for repo in repositories:
        expected[f"{PREFIX}-repo-{repo}"] = ({"repository": repository_policy(repo)}, {**TAGS, "Repository": repo})
    equal(sorted(roles), sorted(expected), "roles under " + PATH)
    for name, (policies, role_tags) in expected.items():
        check(len(name) <= 64, f"role name {name} is longer than IAM's 64 characters")
        role = iam.get_role(RoleName=name)["Role"]
        equal(role["Path"], PATH, f"path of {name}")
        equal(role["AssumeRolePolicyDocument"], TRUST_POLICY, f"trust policy of {name}")
        equal(tags(iam.list_role_tags(RoleName=name)["Tags"]), role_tags, f"tags of {name}")
        equal(
            sorted(iam.list_role_policies(RoleName=name)["PolicyNames"]), sorted(policies), f"inline policies of {name}"
        )
        for policy_name, document in policies.items():
            actual = iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            equal(actual, document, f"inline policy {policy_name} of {name}")
        attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
        managed = ["arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
        equal(attached, managed if name.endswith("-execution") else [], f"managed policies of {name}")
    check(len(f"{PREFIX}-repo-repository-name-of-32-characters") == 64, "the longest role name is not tested")


def settings(repositories: list[str]) -> None:
    verify_bucket()
    verify_log_bucket()
    verify_repository()
    verify_log_groups()
    verify_roles(repositories)
    print(f"verified: bucket, log bucket, repository, {len(LOG_GROUPS)} log groups, {len(repositories) + 3} roles")


# ----------------------------------------------------------------------------------------------- playbooks


def run_playbook(playbook: str, *options: str) -> tuple[int, dict[str, Any]]:
    """ansible-playbook on localhost with the JSON callback; returns (exit code, parsed output)."""
    # No ansible.cfg (the checkout's enables profile_tasks, which would print into the JSON): cwd is this
    # directory and ANSIBLE_CONFIG is dropped; what the run needs is set here.
    env = {name: value for name, value in os.environ.items() if name != "ANSIBLE_CONFIG"}
    env |= {
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_COLLECTIONS_PATH": str(REPO_ROOT / "collections"),
        "ANSIBLE_ROLES_PATH": str(REPO_ROOT / "roles"),
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_STRATEGY": "dagster_ecs.aws.mitogen_linear",  # as ansible.cfg
    }
    command = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        str(SCENARIO_DIR / playbook),
        *options,
    ]
    done = subprocess.run(command, cwd=SCENARIO_DIR, env=env, capture_output=True, text=True, timeout=900, check=False)
    try:
        return done.returncode, json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"verify: {playbook} printed no JSON:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}") from None


def task_results(output: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(task["task"]["name"], task["hosts"]["localhost"]) for play in output["plays"] for task in play["tasks"]]


def changed_tasks(output: dict[str, Any]) -> set[str]:
    return {name for name, result in task_results(output) if result.get("changed")}


def drift() -> None:
    """Change settings out of band, as someone in the console would."""
    boto3.client("s3").put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Suspended"})
    boto3.client("s3").put_public_access_block(
        Bucket=BUCKET,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    boto3.client("s3").put_bucket_logging(Bucket=BUCKET, BucketLoggingStatus={})
    boto3.client("ecr").put_image_tag_mutability(repositoryName=REPOSITORY, imageTagMutability="MUTABLE")
    boto3.client("logs").put_retention_policy(logGroupName=LOG_GROUPS["run"], retentionInDays=7)
    iam = boto3.client("iam")
    backdoor = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_role_policy(RoleName=f"{PREFIX}-dagster", PolicyName="out-of-band", PolicyDocument=json.dumps(backdoor))
    widened = repository_policy("main")
    widened["Statement"][0]["Resource"] = f"{BUCKET_ARN}/*"
    iam.put_role_policy(RoleName=f"{PREFIX}-repo-main", PolicyName="repository", PolicyDocument=json.dumps(widened))


def check_reports_drift(call_log: Path) -> None:
    """--check --diff reports every out-of-band change, with a diff, and makes no write call."""
    writes_before = write_count(call_log)
    code, output = run_playbook("converge.yml", "--check", "--diff")
    check(code == 0, f"converge --check failed: {output.get('stats')}")
    writes = write_count(call_log) - writes_before
    equal(writes, 0, "write calls made by converge --check --diff")
    changed = changed_tasks(output)
    expected = {
        "storage : Report how the buckets would change (check mode)",
        "storage : Log the requests to the bucket into the log bucket",
        "registry : Report how the repository would change (check mode)",
        "logs : Create or update the log groups",
        "iam : Set the inline policies",
        "iam : Remove inline policies this role does not declare",
    }
    check(expected <= changed, f"check mode did not report {sorted(expected - changed)}; changed: {sorted(changed)}")
    results = dict(task_results(output))
    bucket_diffs = results["storage : Report how the buckets would change (check mode)"]["results"]
    bucket_diff = json.dumps([item["diff"] for item in bucket_diffs if item["item"]["desired"]["name"] == BUCKET])
    check("Suspended" in bucket_diff and "BlockPublicPolicy" in bucket_diff, f"bucket diff: {bucket_diff}")
    log_items = results["logs : Create or update the log groups"]["results"]
    [run_group] = [item for item in log_items if item["item"]["key"] == "run"]
    equal(run_group["diff"]["before"]["retention_in_days"], 7, "log group diff before")
    equal(run_group["diff"]["after"]["retention_in_days"], 90, "log group diff after")
    removed = results["iam : Remove inline policies this role does not declare"]["results"]
    equal(
        [item["item"] for item in removed],
        [{"role": f"{PREFIX}-dagster", "policy": "out-of-band"}],
        "policies to remove",
    )
    print(f"check mode reported the drift in {sorted(expected)} with 0 write calls")


def repair_and_remove_repository(call_log: Path) -> None:
    """A normal run repairs the drift and deletes the role of a repository no longer listed; then --check --diff
    reports nothing and writes nothing (idempotence itself is molecule's idempotence step)."""
    os.environ["MOLECULE_IAM_REPOSITORIES"] = "main,analytics"
    code, output = run_playbook("converge.yml")
    check(code == 0, f"converge failed: {output.get('stats')}")
    settings(["main", "analytics"])
    writes_before = write_count(call_log)
    code, output = run_playbook("converge.yml", "--check", "--diff")
    check(code == 0, f"converge --check failed: {output.get('stats')}")
    equal(sorted(changed_tasks(output)), [], "tasks changed by --check on the converged stack")
    equal(write_count(call_log) - writes_before, 0, "write calls made by --check on the converged stack")
    print("drift repaired; the role of repository-name-of-32-characters was deleted; --check then reported nothing")


# ------------------------------------------------------------------------------------------------ teardown


def fill() -> None:
    """Data a teardown must not delete unless told: objects in both buckets, an image in the repository."""
    boto3.client("s3").put_object(Bucket=BUCKET, Key="repos/main/data.json", Body=b"{}")
    boto3.client("s3").put_object(Bucket=LOG_BUCKET, Key=f"s3/{BUCKET}/2026-12-04-00-00-00-0123456789ABCDEF", Body=b"")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:" + "a" * 64,
        },
        "layers": [],
    }
    boto3.client("ecr").put_image(repositoryName=REPOSITORY, imageManifest=json.dumps(manifest), imageTag="v1")


def teardown_refuses(role: str, variable: str, call_log: Path) -> None:
    writes_before = write_count(call_log)
    code, output = run_playbook("teardown.yml", "-e", json.dumps({"molecule_teardown_roles": [role]}))
    check(code != 0, f"teardown of {role} with data in it did not fail")
    messages = [result.get("msg", "") for _, result in task_results(output) if result.get("failed")]
    check(any(variable in message for message in messages), f"no failure names {variable}: {messages}")
    equal(write_count(call_log) - writes_before, 0, f"write calls made by the refused {role} teardown")


def teardown(call_log: Path) -> None:
    fill()
    teardown_refuses("storage", "storage_force_delete", call_log)
    teardown_refuses("registry", "registry_force_delete", call_log)
    boto3.client("s3").head_bucket(Bucket=BUCKET)  # still there
    extra = {"molecule_teardown_roles": ["iam", "logs", "registry", "storage"], "molecule_force_delete": True}
    code, output = run_playbook("teardown.yml", "-e", json.dumps(extra))
    check(code == 0, f"forced teardown failed: {[r for _, r in task_results(output) if r.get('failed')]}")
    try:
        boto3.client("s3").head_bucket(Bucket=BUCKET)
        raise SystemExit(f"verify: bucket {BUCKET} still exists after teardown")
    except ClientError as e:
        equal(e.response["Error"]["Code"], "404", "head_bucket after teardown")
    equal([b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]], [], "buckets after teardown")
    equal(boto3.client("ecr").describe_repositories()["repositories"], [], "ECR repositories after teardown")
    groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix=f"/{PREFIX}/")["logGroups"]
    equal(groups, [], "log groups after teardown")
    equal(boto3.client("iam").list_roles(PathPrefix=PATH)["Roles"], [], "roles after teardown")
    print("teardown refused to delete data without the force variables, then removed everything")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("step", choices=["settings", "drift", "teardown"])
    parser.add_argument("--calls", type=Path, required=True, help="the emulator's call log")
    args = parser.parse_args()
    if args.step == "settings":
        settings(ALL_REPOSITORIES)
    elif args.step == "drift":
        drift()
        check_reports_drift(args.calls)
        repair_and_remove_repository(args.calls)
    else:
        teardown(args.calls)


if __name__ == "__main__":
    main()
