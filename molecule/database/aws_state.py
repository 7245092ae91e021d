"""Read-back and out-of-band helpers for the database scenario's prepare.yml and verify.yml, with boto3 against
the emulator.

Nothing here prints a master password: `managed-secret` reports its length and whether RDS accepts its
characters, `leak-check` says only which file holds it, `unmanage` keeps the password it sets to itself.
"""

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import Any

import boto3

from readback import tags

# Characters no RDS master password may hold.
FORBIDDEN_IN_PASSWORDS = '/"@ '


def parameters(group: str) -> dict[str, Any]:
    """{name: value} of every parameter of the group that has a value."""
    pages = boto3.client("rds").get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group)
    return {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}


def password_of(secret_id: str) -> str:
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"])["password"]


def key_arn(key_id: str) -> str:
    return boto3.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]


def managed_secret(arn: str) -> dict[str, Any]:
    """The secret RDS keeps the master password in: its rotation, key, tags and keys, the password replaced by
    facts about it."""
    sm = boto3.client("secretsmanager")
    described = sm.describe_secret(SecretId=arn)
    value = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    password = value.get("password", "")
    return {
        "name": described["Name"],
        "owning_service": described.get("OwningService"),
        "rotation_enabled": described.get("RotationEnabled", False),
        "rotation_days": described.get("RotationRules", {}).get("AutomaticallyAfterDays"),
        "kms_key_arn": key_arn(described.get("KmsKeyId") or "alias/aws/secretsmanager"),
        "tags": tags(described.get("Tags")),
        "keys": sorted(value),
        "username": value.get("username"),
        "password_length": len(password),
        "password_allowed": not any(c in password for c in FORBIDDEN_IN_PASSWORDS),
    }


def leak_check(secret_id: str, files: list[Path]) -> dict[str, Any]:
    password = password_of(secret_id)
    leaks = [str(path) for path in files if password in path.read_text(errors="replace")]
    return {"checked": [str(path) for path in files], "leaks": leaks}


def drift(instance: str, group: str) -> dict[str, Any]:
    """Change a backup retention and the SSL parameter out of band."""
    rds = boto3.client("rds")
    rds.modify_db_instance(DBInstanceIdentifier=instance, BackupRetentionPeriod=2, ApplyImmediately=True)
    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"}],
    )
    return {"drifted": ["BackupRetentionPeriod=2", "rds.force_ssl=0"]}


def unmanage(instance: str, legacy_secret: str) -> dict[str, Any]:
    """Make the instance look like a deployment from before RDS managed its master password: RDS's management
    turned off with a new password, which is kept in the old-style secret as the role used to keep it."""
    rds = boto3.client("rds")
    password = secrets.token_urlsafe(30)
    found = rds.modify_db_instance(
        DBInstanceIdentifier=instance, ManageMasterUserPassword=False, MasterUserPassword=password
    )["DBInstance"]
    value = {
        "username": found["MasterUsername"],
        "password": password,
        "engine": "postgres",
        "host": found["Endpoint"]["Address"],
        "port": found["Endpoint"]["Port"],
        "dbname": found["DBName"],
    }
    arn = boto3.client("secretsmanager").create_secret(Name=legacy_secret, SecretString=json.dumps(value))["ARN"]
    return {"managed": "MasterUserSecret" in found, "legacy_secret_arn": arn}


def kms_key(alias: str) -> dict[str, Any]:
    """A customer key named `alias/<alias>`, made once."""
    kms = boto3.client("kms")
    name = f"alias/{alias}"
    if not any(a["AliasName"] == name for a in kms.list_aliases()["Aliases"]):
        kms.create_alias(AliasName=name, TargetKeyId=kms.create_key(Description=alias)["KeyMetadata"]["KeyId"])
    return {"key_arn": key_arn(name)}


def unprotect(instance: str) -> dict[str, Any]:
    """Turn deletion protection off out of band, so the role's deletion can be tested."""
    boto3.client("rds").modify_db_instance(
        DBInstanceIdentifier=instance, DeletionProtection=False, ApplyImmediately=True
    )
    return {"deletion_protection": False}


def leftovers(prefix: str) -> dict[str, Any]:
    """What exists of the role's resources named after `prefix` (the secret with its deletion date)."""
    rds = boto3.client("rds")
    secrets = boto3.client("secretsmanager").list_secrets(IncludePlannedDeletion=True)["SecretList"]
    return {
        "instances": [
            i["DBInstanceIdentifier"]
            for i in rds.describe_db_instances()["DBInstances"]
            if i["DBInstanceIdentifier"].startswith(prefix)
        ],
        "subnet_groups": [
            g["DBSubnetGroupName"]
            for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]
            if g["DBSubnetGroupName"].startswith(prefix)
        ],
        "parameter_groups": [
            g["DBParameterGroupName"]
            for g in rds.describe_db_parameter_groups()["DBParameterGroups"]
            if g["DBParameterGroupName"].startswith(prefix)
        ],
        "snapshots": [
            s["DBSnapshotIdentifier"]
            for s in rds.describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
            if s["DBSnapshotIdentifier"].startswith(prefix)
        ],
        "secrets": {s["Name"]: bool(s.get("DeletedDate")) for s in secrets if s["Name"].startswith(prefix)},
        # The secrets RDS manages (the scenario's account has no other instance).
        "managed_secrets": [s["Name"] for s in secrets if s["Name"].startswith("rds!")],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("parameters").add_argument("group")
    sub.add_parser("managed-secret").add_argument("arn")
    sub.add_parser("key-arn").add_argument("key_id")
    sub.add_parser("kms-key").add_argument("alias")
    leak = sub.add_parser("leak-check")
    leak.add_argument("secret_id")
    leak.add_argument("files", nargs="+", type=Path)
    drifting = sub.add_parser("drift")
    for name in ("instance", "group"):
        drifting.add_argument(name)
    unmanaging = sub.add_parser("unmanage")
    for name in ("instance", "legacy_secret"):
        unmanaging.add_argument(name)
    sub.add_parser("unprotect").add_argument("instance")
    sub.add_parser("leftovers").add_argument("prefix")
    args = parser.parse_args(argv)
    if args.command == "parameters":
        result = parameters(args.group)
    elif args.command == "managed-secret":
        result = managed_secret(args.arn)
    elif args.command == "key-arn":
        result = {"key_arn": key_arn(args.key_id)}
    elif args.command == "kms-key":
        result = kms_key(args.alias)
    elif args.command == "leak-check":
        result = leak_check(args.secret_id, args.files)
    elif args.command == "drift":
        result = drift(args.instance, args.group)
    elif args.command == "unmanage":
        result = unmanage(args.instance, args.legacy_secret)
    elif args.command == "unprotect":
        result = unprotect(args.instance)
    else:
        result = leftovers(args.prefix)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
