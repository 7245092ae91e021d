"""S3PrefixResource: a repository's view of the bucket, confined to `repos/<repo>/`."""

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import boto3
from dagster import ConfigurableResource
from pydantic import Field, PrivateAttr

from dagster_ecs.keys import confine_key, confine_listing_prefix, relative_key
from dagster_ecs.names import s3_prefix, validate_repository_name
from dagster_ecs.publish.objects import get_object_or_none


class S3PrefixResource(ConfigurableResource):
    """Read, write and list objects of one repository; every key is relative to `repos/<repo>/`.

    With a bucket it talks to S3 (any endpoint: boto3 honours AWS_ENDPOINT_URL); without one it keeps the
    same layout in a local directory, for local development.
    """

    repository: str = Field(description="The DAG repository (directory under dags/) that owns the prefix.")
    bucket: str | None = Field(default=None, description="S3 bucket; None stores objects under local_root.")
    region_name: str | None = Field(default=None, description="AWS region of the bucket.")
    endpoint_url: str | None = Field(default=None, description="S3 endpoint; None uses AWS_ENDPOINT_URL or AWS.")
    local_root: str | None = Field(default=None, description="Directory standing in for the bucket locally.")

    _client: Any = PrivateAttr(default=None)

    @property
    def prefix(self) -> str:
        """`repos/<repo>/`, the only part of the bucket this resource can touch."""
        return s3_prefix(validate_repository_name(self.repository))

    def uri(self, key: str) -> str:
        """Where `key` is stored, as an s3:// URI or a local path."""
        full = confine_key(self.prefix, key)
        if self.bucket is None:
            return str(self._local_path(full))
        return f"s3://{self.bucket}/{full}"

    def put_bytes(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Store `data` at `key`; returns the object's URI."""
        full = confine_key(self.prefix, key)
        if self.bucket is None:
            _write_atomically(self._local_path(full), data)
        else:
            self._s3().put_object(Bucket=self.bucket, Key=full, Body=data, ContentType=content_type)
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        """The content stored at `key`; raises KeyError when there is none."""
        full = confine_key(self.prefix, key)
        if self.bucket is None:
            try:
                return self._local_path(full).read_bytes()
            except FileNotFoundError:
                raise KeyError(f"no object at {self.uri(key)}") from None
        # A missing key is a 403, not a 404, to a role that may list only its prefix: see publish/objects.py.
        data = get_object_or_none(self._s3(), self.bucket, full)
        if data is None:
            raise KeyError(f"no object at {self.uri(key)}")
        return data

    def put_json(self, key: str, value: Any) -> str:
        """Store `value` as JSON at `key`; returns the object's URI."""
        return self.put_bytes(key, json.dumps(value, indent=2, sort_keys=True).encode(), "application/json")

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def list_keys(self, prefix: str = "") -> list[str]:
        """Keys under `prefix` (relative to the repository's prefix), sorted."""
        full_prefix = confine_listing_prefix(self.prefix, prefix)
        if self.bucket is None:
            root = self._local_path(self.prefix)
            if not root.is_dir():
                return []
            keys = (path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())
            return sorted(k for k in keys if (self.prefix + k).startswith(full_prefix))
        paginator = self._s3().get_paginator("list_objects_v2")
        keys = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=full_prefix):
            keys.extend(relative_key(self.prefix, obj["Key"]) for obj in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        """Remove the object at `key`, if any."""
        full = confine_key(self.prefix, key)
        if self.bucket is None:
            self._local_path(full).unlink(missing_ok=True)
        else:
            self._s3().delete_object(Bucket=self.bucket, Key=full)

    def _s3(self) -> Any:
        if self._client is None:
            self._client = boto3.client("s3", region_name=self.region_name, endpoint_url=self.endpoint_url)
        return self._client

    def _local_path(self, full_key: str) -> Path:
        if self.local_root is None:
            raise ValueError("S3PrefixResource needs either a bucket or a local_root")
        return Path(self.local_root, *full_key.rstrip("/").split("/"))


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old content or the new, never a partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
