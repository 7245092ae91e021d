"""S3 bucket policies: moto ignores every statement's Condition; AWS applies a statement only when it holds.

moto 5.2.5 enforces bucket policies on object requests but documents "Conditions are not taken into account",
so the standard TLS-only statement (Deny s3:* when aws:SecureTransport is false) denies every object request,
TLS or not. This correction evaluates the conditions first and drops the statements whose conditions do not
hold for the request, as AWS does, then lets moto judge the remaining statements.

The request context the emulator supplies: `aws:SecureTransport` is "true". The emulator stands in for AWS's
HTTPS endpoints, which is what the SDKs and Ansible's modules use against AWS (they only reach the emulator
over plain HTTP on loopback). So the emulator cannot show that a plain-HTTP request is refused; the policy
document itself is asserted by the molecule scenario. A condition on any other key evaluates as AWS evaluates a
key missing from the request: false, except for `...IfExists` operators and negated ones such as `StringNotLike`
(true, as IAM documents) and `Null` (key is null). A listing's request context also has `s3:prefix` (its Prefix).

Two more corrections of object and listing requests:
- moto never applies a bucket policy to ListObjects/ListObjectsV2; AWS does (s3:ListBucket on the bucket, with
  `s3:prefix`). Here a listing the policy denies answers 403 AccessDenied.
- moto answers 404 NoSuchKey for a missing key whoever asks. AWS: "If you have the s3:ListBucket permission on the
  bucket, Amazon S3 returns an HTTP status code 404 (Not Found) error. If you don't have the s3:ListBucket
  permission, Amazon S3 returns an HTTP status code 403 (Access Denied) error" (GetObject / HeadObject API
  reference). Here a missing key answers 403 when the bucket policy denies s3:ListBucket on the bucket for a
  request without `s3:prefix` (a prefix-conditioned grant does not make the 404 certain).

And one of PutBucketLogging: moto refuses a target bucket unless its ACL grants the log-delivery group or a policy
statement has exactly the shape it expects, and answers 500 when any statement's Principal is the string "*" (as
in the TLS-only statement). AWS checks only that the target bucket exists, is the caller's and is in the same
Region; the delivery permission is the target bucket policy's business, evaluated when S3 delivers the logs.
"""

import contextvars
import fnmatch
import json
from typing import Any

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.exceptions import CrossLocationLoggingProhibited, InvalidTargetBucketForLogging, MissingKey
from moto.s3.models import FakeBucket
from moto.s3.responses import S3Response

REQUEST_CONTEXT = {"aws:securetransport": "true"}
NEGATED = ("StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "ArnNotEquals", "ArnNotLike")
NEGATED += ("NumericNotEquals",)
# Keys of the request being authorized beyond REQUEST_CONTEXT (a listing's s3:prefix).
_request_keys: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("s3_request_keys", default={})  # noqa: B039


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(item).lower() if isinstance(item, bool) else str(item) for item in items]


def _matches(operator: str, actual: str, wanted: list[str]) -> bool:
    base = operator.removesuffix("IfExists")
    if base in ("Bool", "StringEqualsIgnoreCase"):
        return actual.lower() in [w.lower() for w in wanted]
    if base in ("StringEquals", "ArnEquals", "NumericEquals"):
        return actual in wanted
    if base in ("StringNotEquals", "ArnNotEquals", "NumericNotEquals"):
        return actual not in wanted
    if base in ("StringLike", "ArnLike"):
        return any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    if base in ("StringNotLike", "ArnNotLike"):
        return not any(fnmatch.fnmatchcase(actual, w) for w in wanted)
    return False  # an operator the emulator cannot evaluate never matches


def condition_holds(condition: dict[str, dict[str, Any]] | None) -> bool:
    """Whether every operator/key of a statement's Condition block holds for the emulator's request context."""
    context = {**REQUEST_CONTEXT, **_request_keys.get()}
    for operator, keys in (condition or {}).items():
        for key, value in keys.items():
            actual = context.get(key.lower())
            wanted = _values(value)
            if operator == "Null":
                if (actual is None) != (wanted[0].lower() == "true"):
                    return False
            elif actual is None:
                if not operator.endswith("IfExists") and operator not in NEGATED:
                    return False
            elif not _matches(operator, actual, wanted):
                return False
    return True


def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
    if self.policy is None:
        return PermissionResult.NEUTRAL
    document = json.loads(self.policy)
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    applicable = [
        {key: value for key, value in statement.items() if key != "Condition"}
        for statement in statements
        if condition_holds(statement.get("Condition"))
    ]
    if not applicable:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**document, "Statement": applicable})).is_action_permitted(action, resource)


def _listing_denied(response: S3Response, bucket_name: str, prefix: str | None) -> bool:
    bucket = response.backend.get_bucket(bucket_name)
    token = _request_keys.set({} if prefix is None else {"s3:prefix": prefix})
    try:
        verdict = bucket.get_permission("s3:ListBucket", f"arn:{bucket.partition}:s3:::{bucket_name}")
    finally:
        _request_keys.reset(token)
    return verdict == PermissionResult.DENIED


def _guard_listing(original: Any) -> Any:
    def listing(self: S3Response) -> Any:
        if _listing_denied(self, self.bucket_name, self.querystring.get("prefix", [None])[0]):
            return 403, {}, _ACCESS_DENIED_BODY
        return original(self)

    return listing


_ACCESS_DENIED_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
)


def _get_object(self: S3Response) -> Any:
    try:
        return _original_get_object(self)
    except MissingKey:
        if _listing_denied(self, self.bucket_name, None):
            return 403, {}, _ACCESS_DENIED_BODY
        raise


def _head_object(self: S3Response, bucket_name: str, query: Any, key_name: str, headers: Any) -> Any:
    status, response_headers, body = _original_head_object(self, bucket_name, query, key_name, headers)
    if status == 404 and "x-amz-delete-marker" not in response_headers and _listing_denied(self, bucket_name, None):
        return 403, {}, ""
    return status, response_headers, body


_original_get_object = S3Response.get_object
_original_head_object = S3Response.head_object


def set_logging(self: FakeBucket, logging_config: dict[str, Any] | None, bucket_backend: Any) -> None:
    if not logging_config:
        self.logging = {}
        return
    target_bucket = bucket_backend.buckets.get(logging_config["TargetBucket"])
    if not target_bucket:
        raise InvalidTargetBucketForLogging("The target bucket for logging does not exist.")
    if target_bucket.region_name != self.region_name:
        raise CrossLocationLoggingProhibited()
    self.logging = logging_config


def apply() -> None:
    FakeBucket.get_permission = get_permission
    FakeBucket.set_logging = set_logging
    S3Response.list_objects = _guard_listing(S3Response.list_objects)
    S3Response.list_objects_v2 = _guard_listing(S3Response.list_objects_v2)
    S3Response.get_object = _get_object
    S3Response.head_object = _head_object
