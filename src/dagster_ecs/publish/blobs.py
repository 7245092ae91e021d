"""Where a release's new file contents come from: the source directory itself, or S3 deployment staging.

The release assembly verifies every byte it reads against the manifest's sha256, so a blob source only has
to find the content, not vouch for it.
"""

from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

from botocore.exceptions import ClientError

from dagster_ecs.publish.errors import PublishError
from dagster_ecs.publish.layout import blob_key
from dagster_ecs.publish.manifest import FileEntry
from dagster_ecs.publish.objects import object_exists


class BlobSource(Protocol):
    def open(self, entry: FileEntry) -> BinaryIO:
        """A readable stream of `entry`'s contents; the caller closes it."""
        ...


class DirectoryBlobs:
    """Contents read from a local (or mounted) repository directory, by path."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def open(self, entry: FileEntry) -> BinaryIO:
        return (self.source / entry.path).open("rb")


class S3Blobs:
    """Contents read from `s3://<bucket>/deployments/<repo>/blobs/<sha256>`, by content."""

    def __init__(self, client: Any, bucket: str, repository: str) -> None:
        self.client = client
        self.bucket = bucket
        self.repository = repository

    def open(self, entry: FileEntry) -> BinaryIO:
        key = blob_key(self.repository, entry.sha256)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError:
            # A missing blob is a 403 to the publisher (it may list only deployments/<repo>/): see objects.py.
            if object_exists(self.client, self.bucket, key):
                raise
            raise PublishError(
                f"{entry.path}: its content s3://{self.bucket}/{key} is not staged; upload the manifest's blobs "
                "again (the live release differs from the live.json the upload was diffed against)"
            ) from None
        return cast("BinaryIO", response["Body"])
