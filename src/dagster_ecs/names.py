"""Names that become S3 prefixes, DNS labels, IAM role names and Python identifiers.

A repository name reaches S3 (`repos/<repo>/`), Cloud Map and ECS (DNS labels), and IAM role names
(64 characters with the project's prefix), so it is held to the strictest of those rules.

The stack's name prefix starts the name of every AWS resource the roles create (S3 buckets, the RDS instance
identifier, load balancer, IAM role, ECS and log group names), so it too is held to the strictest of them. The
roles check both through the collection's Jinja tests `dagster_ecs.aws.repository_name` and
`dagster_ecs.aws.name_prefix`, which call this module.
"""

import keyword
import re

REPOSITORY_NAME_MAX = 32
_REPOSITORY_RE = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
_DAG_RE = re.compile(r"[a-z][a-z0-9_]*")
_NAME_PREFIX_RE = re.compile(r"[a-z][a-z0-9-]*[a-z0-9]")


class InvalidNameError(ValueError):
    """A repository name, DAG name or name prefix that the platform cannot use."""


def validate_repository_name(name: str) -> str:
    """Return `name` if it can name a DAG repository, else raise InvalidNameError saying why."""
    if not isinstance(name, str) or not name:
        raise InvalidNameError("repository name is empty: use lowercase letters, digits and hyphens, e.g. 'repo-2'")
    if len(name) > REPOSITORY_NAME_MAX:
        raise InvalidNameError(
            f"repository name {name!r} is {len(name)} characters long; the limit is {REPOSITORY_NAME_MAX}"
        )
    if not _REPOSITORY_RE.fullmatch(name):
        raise InvalidNameError(
            f"repository name {name!r} is invalid: use lowercase letters, digits and hyphens, "
            "starting with a letter and not ending with a hyphen (it becomes an S3 prefix and a DNS name)"
        )
    if "--" in name:
        raise InvalidNameError(f"repository name {name!r} is invalid: consecutive hyphens are not allowed")
    return name


def validate_name_prefix(prefix: str, max_length: int | None = None) -> str:
    """Return `prefix` if it can start the stack's resource names, else raise InvalidNameError saying why.

    How long a prefix may be depends on what follows it (a role appends its own suffixes before a name limit),
    so the caller gives `max_length`; without it only the characters are checked.
    """
    if not isinstance(prefix, str):
        raise InvalidNameError(f"name prefix {prefix!r} is not a string")
    if not prefix:
        raise InvalidNameError(
            "name prefix is empty: use lowercase letters, digits and hyphens, e.g. 'dagster-ecs-dev'"
        )
    if not _NAME_PREFIX_RE.fullmatch(prefix):
        raise InvalidNameError(
            f"name prefix {prefix!r} is invalid: use at least two lowercase letters, digits and hyphens, starting "
            "with a letter and ending with a letter or digit (it starts S3 bucket, RDS, IAM and load balancer names)"
        )
    if "--" in prefix:
        raise InvalidNameError(
            f"name prefix {prefix!r} is invalid: consecutive hyphens are not allowed (RDS identifiers refuse them)"
        )
    if max_length is not None and len(prefix) > max_length:
        raise InvalidNameError(f"name prefix {prefix!r} is {len(prefix)} characters long; the limit is {max_length}")
    return prefix


def validate_dag_name(name: str) -> str:
    """Return `name` if it can name a DAG (it becomes Python function and job names), else raise."""
    if isinstance(name, str) and keyword.iskeyword(name):
        raise InvalidNameError(f"DAG name {name!r} is a Python keyword: it cannot name a module or a function")
    if not isinstance(name, str) or not _DAG_RE.fullmatch(name):
        raise InvalidNameError(
            f"DAG name {name!r} is invalid: use lowercase letters, digits and underscores, starting with a letter "
            "(it becomes the prefix of Python function, asset and job names)"
        )
    if len(name) > 48:
        raise InvalidNameError(f"DAG name {name!r} is {len(name)} characters long; the limit is 48")
    return name


def python_identifier(repository: str) -> str:
    """The Python identifier form of a repository name: `repo-2` becomes `repo_2`."""
    return validate_repository_name(repository).replace("-", "_")


def s3_prefix(repository: str) -> str:
    """The S3 key prefix a repository owns, with its trailing slash."""
    return f"repos/{validate_repository_name(repository)}/"
