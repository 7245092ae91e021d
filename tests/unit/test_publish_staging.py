"""S3 deployment staging against the moto server: only missing blobs are uploaded, and the apply command
(the one the Fargate task runs) builds the release from them and records live.json."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from dagster_ecs.publish import staging
from dagster_ecs.publish.blobs import S3Blobs
from dagster_ecs.publish.diff import diff_manifests
from dagster_ecs.publish.errors import IntegrityError, ManifestError, MissingObjectError, PublishError
from dagster_ecs.publish.layout import blob_key, live_key
from dagster_ecs.publish.manifest import Manifest, build_manifest
from dagster_ecs.publish.release import apply_release, live_manifest
from tests.support.moto_server import MotoServer
from tests.support.publish_trees import expected_files, read_release, write_tree
from tests.unit.test_s3_prefix import only_prefix_listing

BUCKET = "dagster-ecs-publish-test"
REPO_ROOT = Path(__file__).resolve().parents[2]
FILES = {"dag.py": "x = 1\n", "_helpers.py": "y = 2\n", "data/a.csv": "a\n1\n", "data/copy.csv": "a\n1\n"}


@pytest.fixture
def s3(aws: MotoServer) -> Any:
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    return client


def blob_writes(server: MotoServer, since: int) -> list[str]:
    return [c.action for c in server.calls()[since:] if c.write and "/deployments/main/blobs/" in c.action]


def staged_keys(client: Any) -> set[str]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="deployments/")
    return {item["Key"] for page in pages for item in page.get("Contents", ())}


def run_apply(server: MotoServer, key: str, target: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dagster_ecs.publish", "apply", "--bucket", BUCKET, "--repository", "main"]
    command += ["--manifest-key", key, "--target", str(target), *extra]
    return subprocess.run(
        command, env={**os.environ, **server.env()}, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


def test_only_blobs_s3_lacks_are_uploaded(aws: MotoServer, s3: Any, tmp_path: Path) -> None:
    source = write_tree(tmp_path / "main", FILES)
    manifest = build_manifest(source)
    calls = len(aws.calls())
    key = staging.upload(s3, BUCKET, "main", source, manifest)
    assert key == f"deployments/main/manifests/{manifest.digest}.json"
    shas = {entry.sha256 for entry in manifest.files.values()}
    assert len(blob_writes(aws, calls)) == len(shas) == 3, "identical files are one blob"
    assert staged_keys(s3) == {key} | {blob_key("main", sha) for sha in shas}
    assert staging.read_manifest(s3, BUCKET, "main", key) == manifest

    calls = len(aws.calls())
    staging.upload(s3, BUCKET, "main", source, manifest)
    assert blob_writes(aws, calls) == [], "everything was in S3 already"

    (source / "dag.py").write_text("x = 2\n")
    changed = build_manifest(source)
    calls = len(aws.calls())
    staging.upload(s3, BUCKET, "main", source, changed, diff_manifests(manifest, changed))
    assert blob_writes(aws, calls) == [f"PUT /{BUCKET}/deployments/main/blobs/{{id}}"]
    assert blob_key("main", changed.files["dag.py"].sha256) in staged_keys(s3)


def test_many_candidates_are_checked_with_one_listing(
    aws: MotoServer, s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "HEAD_LIMIT", 2)
    source = write_tree(tmp_path / "main", {f"data/{n}.csv": f"{n}\n" for n in range(5)})
    manifest = build_manifest(source)
    staging.upload(s3, BUCKET, "main", source, manifest)
    calls = len(aws.calls())
    staging.upload(s3, BUCKET, "main", source, manifest)
    actions = [c.action for c in aws.calls()[calls:]]
    assert not [a for a in actions if a.startswith("HEAD")]
    reads = [a for a in actions if a.startswith("GET")]
    assert len(reads) == 1
    assert reads[0].startswith(f"GET /{BUCKET}?")
    assert "list-type" in reads[0]
    assert blob_writes(aws, calls) == []


def test_a_file_edited_after_hashing_is_not_uploaded(s3: Any, tmp_path: Path) -> None:
    source = write_tree(tmp_path / "main", FILES)
    manifest = build_manifest(source)
    (source / "dag.py").write_text("x = 'edited'\n")
    with pytest.raises(IntegrityError, match=r"dag\.py: content changed since the manifest was built"):
        staging.upload(s3, BUCKET, "main", source, manifest)
    assert f"deployments/main/manifests/{manifest.digest}.json" not in staged_keys(s3)


def test_the_apply_command_builds_the_release_from_s3_and_records_live_json(
    aws: MotoServer, s3: Any, tmp_path: Path
) -> None:
    source, target = write_tree(tmp_path / "main", FILES), tmp_path / "efs" / "main"
    manifest = build_manifest(source)
    assert staging.read_live_manifest(s3, BUCKET, "main") is None
    key = staging.upload(s3, BUCKET, "main", source, manifest)

    applied = run_apply(aws, key, target)
    assert applied.returncode == 0, applied.stderr
    output = json.loads(applied.stdout)
    assert output["changed"] is True
    assert output["added"] == sorted(FILES)
    assert read_release(target / "current") == expected_files(manifest)
    assert staging.read_live_manifest(s3, BUCKET, "main") == manifest

    calls = len(aws.calls())
    again = run_apply(aws, key, target)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["changed"] is False
    assert [c.action for c in aws.calls()[calls:] if c.write] == [], "a no-op apply writes nothing to S3"


def test_the_apply_command_in_check_mode_reports_and_writes_nothing(aws: MotoServer, s3: Any, tmp_path: Path) -> None:
    source, target = write_tree(tmp_path / "main", FILES), tmp_path / "efs" / "main"
    key = staging.upload(s3, BUCKET, "main", source, build_manifest(source))
    calls = len(aws.calls())
    checked = run_apply(aws, key, target, "--check")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["added"] == sorted(FILES)
    assert not target.exists() or not any(target.iterdir())
    assert [c.action for c in aws.calls()[calls:] if c.write] == []


def test_a_manifest_key_of_another_repository_or_digest_is_refused(aws: MotoServer, s3: Any, tmp_path: Path) -> None:
    source = write_tree(tmp_path / "main", FILES)
    manifest = build_manifest(source)
    key = staging.upload(s3, BUCKET, "main", source, manifest)
    with pytest.raises(ManifestError, match="is not a manifest of repository 'other'"):
        staging.read_manifest(s3, BUCKET, "other", key)
    forged = f"deployments/main/manifests/{'0' * 64}.json"
    s3.put_object(Bucket=BUCKET, Key=forged, Body=manifest.to_json().encode())
    with pytest.raises(IntegrityError, match="not the one its name says"):
        staging.read_manifest(s3, BUCKET, "main", forged)

    failed = run_apply(aws, forged, tmp_path / "efs" / "main")
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1, "one line on failure"
    assert "not the one its name says" in failed.stderr


def test_a_blob_missing_from_s3_fails_the_apply_naming_the_file(s3: Any, tmp_path: Path) -> None:
    source = write_tree(tmp_path / "main", FILES)
    manifest = build_manifest(source)
    staging.upload(s3, BUCKET, "main", source, manifest)
    s3.delete_object(Bucket=BUCKET, Key=blob_key("main", manifest.files["dag.py"].sha256))
    with pytest.raises(PublishError, match=r"dag\.py: its content s3://.* is not staged"):
        apply_release(tmp_path / "efs" / "main", manifest, S3Blobs(s3, BUCKET, "main"))
    assert live_manifest(tmp_path / "efs" / "main") is None


def test_live_json_round_trips(s3: Any) -> None:
    manifest = Manifest.from_json('{"version": 1, "files": []}')
    staging.write_live_manifest(s3, BUCKET, "main", manifest)
    assert staging.read_live_manifest(s3, BUCKET, "main") == manifest
    assert live_key("main") == "deployments/main/live.json"


def test_missing_objects_are_told_apart_when_s3_answers_403(s3: Any, tmp_path: Path) -> None:
    """The publisher may list only deployments/<repo>/, so S3 answers a missing key with 403, not 404: the first
    live.json, a blob not uploaded yet, a blob gone from the staging and a manifest never staged."""
    s3.put_bucket_policy(Bucket=BUCKET, Policy=only_prefix_listing(BUCKET, "deployments/main/"))
    assert staging.read_live_manifest(s3, BUCKET, "main") is None
    source = write_tree(tmp_path / "main", FILES)
    manifest = build_manifest(source)
    assert staging.missing_blobs(s3, BUCKET, "main", [manifest.files["dag.py"].sha256]) == {
        manifest.files["dag.py"].sha256
    }
    key = staging.upload(s3, BUCKET, "main", source, manifest)
    assert staging.read_manifest(s3, BUCKET, "main", key) == manifest
    with pytest.raises(MissingObjectError, match="does not exist"):
        staging.read_manifest(s3, BUCKET, "main", key.replace(manifest.digest, "0" * 64))
    s3.delete_object(Bucket=BUCKET, Key=blob_key("main", manifest.files["dag.py"].sha256))
    with pytest.raises(PublishError, match=r"dag\.py: its content s3://.* is not staged"):
        apply_release(tmp_path / "efs" / "main", manifest, S3Blobs(s3, BUCKET, "main"))
