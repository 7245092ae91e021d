"""Reading S3 objects that may not exist, without relying on a 404.

S3 answers a missing key with 404 NoSuchKey only to a caller allowed s3:ListBucket on the bucket; to anyone else
with 403 AccessDenied (GetObject / HeadObject API reference: "If you don't have the s3:ListBucket permission,
Amazon S3 returns an HTTP status code 403"). The project's roles may list only their own prefixes (s3:prefix
conditions), which does not make the 404 certain. So a 403 is settled by listing the key itself as the prefix,
which those prefix-conditioned grants allow: the key absent from the listing is missing; present, the 403 was a
real denial and is raised. Used by S3PrefixResource and the publisher.
"""

from typing import Any

from botocore.exceptions import ClientError

__all__ = ["get_object_or_none", "object_exists"]

MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
DENIED_CODES = frozenset({"403", "AccessDenied", "Forbidden"})


def get_object_or_none(client: Any, bucket: str, key: str) -> bytes | None:
    """The object's content, or None when there is no object at `key`."""
    try:
        return client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if _missing(client, bucket, key, error):
            return None
        raise


def object_exists(client: Any, bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _missing(client, bucket, key, error):
            return False
        raise
    return True


def _missing(client: Any, bucket: str, key: str, error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    if code in MISSING_CODES:
        return True
    if code not in DENIED_CODES:
        return False
    try:
        listed = client.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    except ClientError:
        raise error from None  # cannot list it either: a denial we cannot tell from a missing key
    return not any(item["Key"] == key for item in listed)
