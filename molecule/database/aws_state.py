"""Read-back and out-of-band helpers for the database scenario's verify.yml, with boto3 against the emulator.

Nothing here prints the master password: `secret` reports its length and character classes, `leak-check` says
only which file holds it.
"""

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3


def parameters(group: str) -> dict[str, Any]:
    """{name: value} of every parameter of the group that has a value."""
    pages = boto3.client("rds").get_paginator("describe_db_parameters").paginate(DBParameterGroupName=group)
    return {p["ParameterName"]: p.get("ParameterValue") for page in pages for p in page["Parameters"]}


def password_of(name: str) -> str:
    return json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])["password"]


def secret(name: str) -> dict[str, Any]:
    """The secret's JSON with the password replaced by facts about it."""
    value = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"])
    password = value.pop("password", "")
    return {
        "keys": sorted([*value, "password"] if password else value),
        "value": value,
        "password_length": len(password),
        "password_alphanumeric": password.isalnum(),
        "password_has_digit": any(c.isdigit() for c in password),
        "password_has_upper": any(c.isupper() for c in password),
    }


def leak_check(name: str, files: list[Path]) -> dict[str, Any]:
    password = password_of(name)
    leaks = [str(path) for path in files if password in path.read_text(errors="replace")]
    return {"checked": [str(path) for path in files], "leaks": leaks}


def writes(call_log: Path) -> dict[str, Any]:
    calls = [json.loads(line) for line in call_log.read_text().splitlines() if line]
    return {"writes": sum(1 for call in calls if call["write"]), "calls": len(calls)}


def drift(instance: str, group: str, secret_name: str) -> dict[str, Any]:
    """Change a backup retention, the SSL parameter and the secret's host out of band."""
    rds = boto3.client("rds")
    rds.modify_db_instance(DBInstanceIdentifier=instance, BackupRetentionPeriod=2, ApplyImmediately=True)
    rds.modify_db_parameter_group(
        DBParameterGroupName=group,
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "0", "ApplyMethod": "immediate"}],
    )
    sm = boto3.client("secretsmanager")
    value = json.loads(sm.get_secret_value(SecretId=secret_name)["SecretString"])
    value["host"] = "stale.example.invalid"
    sm.put_secret_value(SecretId=secret_name, SecretString=json.dumps(value))
    return {"drifted": ["BackupRetentionPeriod=2", "rds.force_ssl=0", "secret host"]}


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
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("parameters").add_argument("group")
    sub.add_parser("secret").add_argument("name")
    leak = sub.add_parser("leak-check")
    leak.add_argument("name")
    leak.add_argument("files", nargs="+", type=Path)
    sub.add_parser("writes").add_argument("call_log", type=Path)
    drifting = sub.add_parser("drift")
    for name in ("instance", "group", "secret_name"):
        drifting.add_argument(name)
    sub.add_parser("unprotect").add_argument("instance")
    sub.add_parser("leftovers").add_argument("prefix")
    args = parser.parse_args(argv)
    if args.command == "parameters":
        result = parameters(args.group)
    elif args.command == "secret":
        result = secret(args.name)
    elif args.command == "leak-check":
        result = leak_check(args.name, args.files)
    elif args.command == "writes":
        result = writes(args.call_log)
    elif args.command == "drift":
        result = drift(args.instance, args.group, args.secret_name)
    elif args.command == "unprotect":
        result = unprotect(args.instance)
    else:
        result = leftovers(args.prefix)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
