"""S3 deployment staging: the operator's side uploads, the apply task (inside the VPC) reads.

    s3://<bucket>/deployments/<repo>/blobs/<sha256>            file contents, content-addressed
    s3://<bucket>/deployments/<repo>/manifests/<digest>.json   a manifest to apply
    s3://<bucket>/deployments/<repo>/live.json                 the live release's manifest, written after the switch

Blobs are uploaded only when S3 does not have them yet, each checked against its manifest entry first and
sent with its sha256 as S3's checksum. A missing object is told apart from a denial without relying on S3's 404
(objects.py): the publisher may list only `deployments/<repo>/`.
"""

import base64
import hashlib
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from dagster_ecs.publish.diff import Changes
from dagster_ecs.publish.errors import IntegrityError, ManifestError, MissingObjectError
from dagster_ecs.publish.layout import blob_key, deployment_prefix, live_key, manifest_key
from dagster_ecs.publish.manifest import FileEntry, Manifest
from dagster_ecs.publish.objects import get_object_or_none, object_exists

__all__ = ["manifest_key", "read_live_manifest", "read_manifest", "upload", "write_live_manifest"]

# Above this many candidate blobs one paginated listing is cheaper than a HEAD request each.
HEAD_LIMIT = 64
UPLOAD_THREADS = 8


def upload(
    client: Any, bucket: str, repository: str, source: Path, manifest: Manifest, changes: Changes | None = None
) -> str:
    """Upload the blobs S3 lacks and the manifest; returns the manifest's key.

    With `changes` (the diff against the live manifest) only added and changed files are candidates: the
    apply reuses every unchanged file from the live release on EFS without reading its blob.
    """
    paths = manifest.files.keys() if changes is None else (*changes.added, *changes.changed)
    candidates = {manifest.files[path].sha256: manifest.files[path] for path in paths}
    missing = missing_blobs(client, bucket, repository, candidates.keys())
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        list(pool.map(lambda sha: _upload_blob(client, bucket, repository, source, candidates[sha]), sorted(missing)))
    key = manifest_key(repository, manifest)
    client.put_object(Bucket=bucket, Key=key, Body=manifest.to_json().encode(), ContentType="application/json")
    return key


def missing_blobs(client: Any, bucket: str, repository: str, digests: Collection[str]) -> set[str]:
    """The digests among `digests` with no blob in S3 yet."""
    if len(digests) > HEAD_LIMIT:
        prefix = blob_key(repository, "")
        present = set()
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            present |= {item["Key"][len(prefix) :] for item in page.get("Contents", ())}
        return set(digests) - present
    with ThreadPoolExecutor(max_workers=UPLOAD_THREADS) as pool:
        ordered = sorted(digests)
        found = pool.map(lambda sha: object_exists(client, bucket, blob_key(repository, sha)), ordered)
        return {sha for sha, exists in zip(ordered, found, strict=True) if not exists}


def read_manifest(client: Any, bucket: str, repository: str, key: str) -> Manifest:
    """The manifest at `key`, which must be this repository's and named after its own digest."""
    if not key.startswith(f"{deployment_prefix(repository)}manifests/"):
        raise ManifestError(f"s3://{bucket}/{key} is not a manifest of repository {repository!r}")
    body = get_object_or_none(client, bucket, key)
    if body is None:
        raise MissingObjectError(f"s3://{bucket}/{key} does not exist")
    manifest = Manifest.from_json(body)
    if manifest_key(repository, manifest) != key:
        raise IntegrityError(f"s3://{bucket}/{key} has digest {manifest.digest}, not the one its name says")
    return manifest


def read_live_manifest(client: Any, bucket: str, repository: str) -> Manifest | None:
    """The manifest of the live release as the last apply recorded it, or None before the first one."""
    body = get_object_or_none(client, bucket, live_key(repository))
    return None if body is None else Manifest.from_json(body)


def write_live_manifest(client: Any, bucket: str, repository: str, manifest: Manifest) -> None:
    client.put_object(
        Bucket=bucket, Key=live_key(repository), Body=manifest.to_json().encode(), ContentType="application/json"
    )


def _upload_blob(client: Any, bucket: str, repository: str, source: Path, entry: FileEntry) -> None:
    """Upload one file, after checking it still has the content the manifest names.

    Read whole: DAG repositories hold code and small data files, and a second read for the upload could see
    another edit. The sha256 also goes to S3 as the object's checksum, so S3 refuses bytes damaged in transit.
    """
    data = (source / entry.path).read_bytes()
    digest = hashlib.sha256(data)
    if digest.hexdigest() != entry.sha256:
        raise IntegrityError(
            f"{source / entry.path}: content changed since the manifest was built (sha256 {digest.hexdigest()}, "
            f"manifest {entry.sha256}); publish again"
        )
    checksum = base64.b64encode(digest.digest()).decode()
    client.put_object(Bucket=bucket, Key=blob_key(repository, entry.sha256), Body=data, ChecksumSHA256=checksum)
