"""Read the published repositories back and print every problem found (JSON list; empty means all is well).

`python dags_checks.py SOURCE_DIR TARGET_DIR BUCKET REPO...`: for each repository, `current` points at one
complete release whose files equal the manifest of SOURCE_DIR/<repo>, S3's live.json is that manifest, and the
bucket holds nothing outside deployments/<repo>/ of the published repositories.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

import boto3

from dagster_ecs.publish.errors import PublishError
from dagster_ecs.publish.manifest import Manifest, build_manifest
from dagster_ecs.publish.release import releases, verify_release


def check_repository(source: Path, target: Path, bucket: str, repo: str, problems: list[str]) -> None:
    expected = build_manifest(source / repo)
    link = target / repo / "current"
    if not link.is_symlink() or not os.readlink(link).startswith("releases/"):
        problems.append(f"{repo}: {link} is not a symlink into releases/")
        return
    try:
        served = verify_release(target / repo)  # every file present, with its manifest's content and mode
    except PublishError as error:
        problems.append(f"{repo}: the live release is not complete: {error}")
        return
    if served != expected:
        problems.append(f"{repo}: the live release is {served!r}, dags/{repo} is {expected!r}")
    if len(releases(target / repo)) != 1:
        problems.append(f"{repo}: {releases(target / repo)} releases after publishing one version")
    s3: Any = boto3.client("s3")
    live = Manifest.from_json(s3.get_object(Bucket=bucket, Key=f"deployments/{repo}/live.json")["Body"].read())
    if live != expected:
        problems.append(f"{repo}: live.json is {live!r}, not {expected!r}")


def check_bucket(bucket: str, repositories: list[str], problems: list[str]) -> None:
    s3: Any = boto3.client("s3")
    keys = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
            for item in page.get("Contents", [])]  # fmt: skip
    allowed = tuple(f"deployments/{repo}/" for repo in repositories)
    problems.extend(f"bucket: {key} is outside the repositories' deployment prefixes" for key in keys
                    if not key.startswith(allowed))  # fmt: skip
    for repo in repositories:
        if not any(key.startswith(f"deployments/{repo}/blobs/") for key in keys):
            problems.append(f"bucket: no blobs staged for {repo}")


def main() -> int:
    source, target, bucket, *repositories = sys.argv[1:]
    problems: list[str] = []
    for repo in repositories:
        check_repository(Path(source), Path(target), bucket, repo, problems)
    check_bucket(bucket, repositories, problems)
    json.dump(problems, sys.stdout, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
