"""Read the deployed stack back with boto3 and print every security-relevant setting that is wrong (JSON list).

Independent of the roles: what a reviewer of the AWS account would check. An empty list means all is well.
"""

import json
import sys
from typing import Any

import boto3

from readback import missing_tags, tags

PREFIX = "dagster-ecs-local"
PUBLIC = ("0.0.0.0/0", "::/0")
REQUIRED_TAGS = {"Project": "dagster-ecs", "Environment": "local"}


def network(problems: list[str]) -> None:
    ec2 = boto3.client("ec2")
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{PREFIX}-vpc"]}])["Vpcs"]
    for group in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"]:
        for rule in group["IpPermissions"]:
            cidrs = [r["CidrIp"] for r in rule.get("IpRanges", [])]
            cidrs += [r["CidrIpv6"] for r in rule.get("Ipv6Ranges", [])]
            if any(c in PUBLIC for c in cidrs):
                problems.append(f"security group {group['GroupName']}: ingress open to the internet: {rule}")
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]:
        if subnet["MapPublicIpOnLaunch"]:
            problems.append(f"subnet {subnet['SubnetId']}: assigns public IPs on launch")


def storage(problems: list[str]) -> None:
    s3 = boto3.client("s3")
    account = boto3.client("sts").get_caller_identity()["Account"]
    bucket, log_bucket = f"{PREFIX}-{account}", f"{PREFIX}-{account}-logs"
    names = sorted(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(PREFIX))
    if names != [bucket, log_bucket]:
        problems.append(f"buckets {names}, expected the data bucket {bucket} and the log bucket {log_bucket}")
    logging = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled", {})
    if logging.get("TargetBucket") != log_bucket:
        problems.append(f"bucket {bucket}: server access logs go to {logging.get('TargetBucket')}, not {log_bucket}")
    for name in (bucket, log_bucket):
        bucket_settings(s3, name, problems)


def bucket_settings(s3: Any, bucket: str, problems: list[str]) -> None:
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    if not all(block.values()):
        problems.append(f"bucket {bucket}: public access not fully blocked: {block}")
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        problems.append(f"bucket {bucket}: versioning off")
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    if not rules:
        problems.append(f"bucket {bucket}: no default encryption")
    ownership = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    if [r["ObjectOwnership"] for r in ownership] != ["BucketOwnerEnforced"]:
        problems.append(f"bucket {bucket}: object ownership {ownership}")
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    if not any(
        s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for s in policy["Statement"]
    ):
        problems.append(f"bucket {bucket}: no statement denying requests without TLS")
    bucket_tags = tags(s3.get_bucket_tagging(Bucket=bucket)["TagSet"])
    problems.extend(missing_tags(bucket_tags, REQUIRED_TAGS, f"bucket {bucket}"))


def database(problems: list[str]) -> None:
    [db] = boto3.client("rds").describe_db_instances(DBInstanceIdentifier=PREFIX)["DBInstances"]
    if db["PubliclyAccessible"] or not db["StorageEncrypted"]:
        problems.append(f"database: public={db['PubliclyAccessible']} encrypted={db['StorageEncrypted']}")
    problems.extend(missing_tags(tags(db.get("TagList")), REQUIRED_TAGS, "database"))


def file_system(problems: list[str]) -> None:
    efs = boto3.client("efs")
    [fs] = [f for f in efs.describe_file_systems()["FileSystems"] if f.get("Name") == PREFIX]
    if not fs["Encrypted"]:
        problems.append("file system: not encrypted")
    problems.extend(missing_tags(tags(fs["Tags"]), REQUIRED_TAGS, "file system"))


def containers(problems: list[str]) -> None:
    ecs = boto3.client("ecs")
    [cluster] = ecs.describe_clusters(clusters=[PREFIX], include=["SETTINGS", "TAGS"])["clusters"]
    if {"name": "containerInsights", "value": "enabled"} not in cluster["settings"]:
        problems.append(f"cluster: container insights off: {cluster['settings']}")
    problems.extend(missing_tags(tags(cluster.get("tags")), REQUIRED_TAGS, "cluster"))
    arns = ecs.list_services(cluster=PREFIX)["serviceArns"]
    services = ecs.describe_services(cluster=PREFIX, services=arns)["services"] if arns else []
    if len(services) < 4:
        problems.append(f"cluster: {len(services)} services; expected webserver, daemon, a code server per repository")
    for service in services:
        vpc = service["networkConfiguration"]["awsvpcConfiguration"]
        if vpc.get("assignPublicIp") != "DISABLED":
            problems.append(f"service {service['serviceName']}: assignPublicIp {vpc.get('assignPublicIp')}")
        breaker = service["deploymentConfiguration"].get("deploymentCircuitBreaker", {})
        if not (breaker.get("enable") and breaker.get("rollback")):
            problems.append(f"service {service['serviceName']}: no circuit breaker with rollback")
        definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        for container in definition["containerDefinitions"]:
            plain = {e["name"]: e["value"] for e in container.get("environment", [])}
            leaked = [name for name in plain if "PASSWORD" in name or "SECRET" in name]
            if leaked:
                problems.append(f"{definition['family']}: secrets in the plain environment: {leaked}")
            # The Dagster login signs in with IAM auth tokens: no service's task holds the database password.
            if container.get("secrets"):
                problems.append(f"{definition['family']}: injects secrets {container['secrets']}")


def logs(problems: list[str]) -> None:
    groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix=f"/{PREFIX}/")["logGroups"]
    if not groups:
        problems.append("logs: no log groups")
    for group in groups:
        if group.get("retentionInDays") != 7:
            problems.append(f"log group {group['logGroupName']}: retention {group.get('retentionInDays')}, expected 7")


def load_balancer(problems: list[str]) -> None:
    elbv2 = boto3.client("elbv2")
    account = boto3.client("sts").get_caller_identity()["Account"]
    for lb in elbv2.describe_load_balancers()["LoadBalancers"]:
        if lb["Scheme"] != "internal":
            problems.append(f"load balancer {lb['LoadBalancerName']}: scheme {lb['Scheme']}")
        attributes = elbv2.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]
        logs = {a["Key"]: a["Value"] for a in attributes if a["Key"].startswith("access_logs.s3.")}
        expected = {"enabled": "true", "bucket": f"{PREFIX}-{account}-logs", "prefix": "alb"}
        if logs != {f"access_logs.s3.{key}": value for key, value in expected.items()}:
            problems.append(f"load balancer {lb['LoadBalancerName']}: access logs {logs}, expected {expected}")


def main() -> int:
    problems: list[str] = []
    checks: list[Any] = [network, storage, database, file_system, containers, logs, load_balancer]
    for check in checks:
        try:
            check(problems)
        except Exception as error:  # a missing resource is a finding, not a crash
            problems.append(f"{check.__name__}: {type(error).__name__}: {error}")
    json.dump(problems, sys.stdout, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
