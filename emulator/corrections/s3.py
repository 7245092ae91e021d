"""S3 bucket policies: moto ignores every statement's Condition; AWS applies a statement only when it holds.

moto 5.2.5 enforces bucket policies on object requests but documents "Conditions are not taken into account",
so the standard TLS-only statement (Deny s3:* when aws:SecureTransport is false) denies every object request,
TLS or not. This correction evaluates the conditions first and drops the statements whose conditions do not
hold for the request, as AWS does, then lets moto judge the remaining statements.

The request context the emulator supplies: `aws:SecureTransport` is "true". The emulator stands in for AWS's
HTTPS endpoints, which is what the SDKs and Ansible's modules use against AWS (they only reach the emulator
over plain HTTP on loopback). So the emulator cannot show that a plain-HTTP request is refused; the policy
document itself is asserted by the molecule scenario. A condition on any other key evaluates as AWS evaluates a
key missing from the request: false, except for `...IfExists` operators (true) and `Null` (key is null).
"""

import fnmatch
import json
from typing import Any

from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.s3.models import FakeBucket

REQUEST_CONTEXT = {"aws:securetransport": "true"}


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
    for operator, keys in (condition or {}).items():
        for key, value in keys.items():
            actual = REQUEST_CONTEXT.get(key.lower())
            wanted = _values(value)
            if operator == "Null":
                if (actual is None) != (wanted[0].lower() == "true"):
                    return False
            elif actual is None:
                if not operator.endswith("IfExists"):
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


def apply() -> None:
    FakeBucket.get_permission = get_permission
