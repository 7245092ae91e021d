"""Names that become S3 prefixes, DNS labels, IAM role names and Python identifiers.

A repository name reaches S3 (`repos/<repo>/`), Cloud Map and ECS (DNS labels), and IAM role names
(64 characters with the project's prefix), so it is held to the strictest of those rules.
"""

import keyword
import re

REPOSITORY_NAME_MAX = 32
_REPOSITORY_RE = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
_DAG_RE = re.compile(r"[a-z][a-z0-9_]*")


class InvalidNameError(ValueError):
    """A repository or DAG name that the platform cannot use."""


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
