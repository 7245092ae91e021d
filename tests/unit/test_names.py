import importlib
from collections.abc import Callable
from pathlib import Path

import pytest

from dagster_ecs.names import (
    InvalidNameError,
    python_identifier,
    s3_prefix,
    validate_dag_name,
    validate_name_prefix,
    validate_repository_name,
)

COLLECTIONS_PATH = Path(__file__).resolve().parents[2] / "collections"


@pytest.mark.parametrize("name", ["main", "analytics", "repo-2", "a", "x1", "a" * 32])
def test_valid_repository_names(name: str) -> None:
    assert validate_repository_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "empty"),
        ("Main", "lowercase"),
        ("repo_2", "lowercase letters, digits and hyphens"),
        ("2repo", "starting with a letter"),
        ("repo-", "not ending with a hyphen"),
        ("-repo", "starting with a letter"),
        ("re--po", "consecutive hyphens"),
        ("re.po", "lowercase letters"),
        ("re/po", "lowercase letters"),
        ("a" * 33, "the limit is 32"),
        ("..", "lowercase letters"),
    ],
)
def test_invalid_repository_names_say_why(name: str, why: str) -> None:
    with pytest.raises(InvalidNameError, match=why):
        validate_repository_name(name)


@pytest.mark.parametrize("name", [1, None, ["main"]])
def test_a_repository_name_is_a_string(name: object) -> None:
    with pytest.raises(InvalidNameError):
        validate_repository_name(name)  # ty: ignore[invalid-argument-type]


@pytest.mark.parametrize("prefix", ["dagster-ecs-dev", "ab", "a1", "x" * 200])
def test_valid_name_prefixes(prefix: str) -> None:
    assert validate_name_prefix(prefix) == prefix


@pytest.mark.parametrize(
    ("prefix", "why"),
    [
        ("", "empty"),
        ("a", "at least two"),
        ("Dagster_ECS", "lowercase letters"),
        ("dagster ecs", "lowercase letters"),
        ("dagster.ecs", "lowercase letters"),
        ("-dagster", "starting with a letter"),
        ("2dagster", "starting with a letter"),
        ("dagster-", "ending with a letter or digit"),
        ("dagster--ecs", "consecutive hyphens"),
    ],
)
def test_invalid_name_prefixes_say_why(prefix: str, why: str) -> None:
    with pytest.raises(InvalidNameError, match=why):
        validate_name_prefix(prefix)


@pytest.mark.parametrize("prefix", [26, None, ["dagster-ecs"]])
def test_a_name_prefix_is_a_string(prefix: object) -> None:
    with pytest.raises(InvalidNameError, match="not a string"):
        validate_name_prefix(prefix)  # ty: ignore[invalid-argument-type]


def test_a_name_prefix_is_held_to_the_length_its_role_gives() -> None:
    assert validate_name_prefix("x" * 26, max_length=26) == "x" * 26
    with pytest.raises(InvalidNameError, match="is 27 characters long; the limit is 26"):
        validate_name_prefix("x" * 27, max_length=26)


def test_hyphenated_repository_maps_to_identifier_and_prefix() -> None:
    assert python_identifier("repo-2") == "repo_2"
    assert s3_prefix("repo-2") == "repos/repo-2/"


@pytest.mark.parametrize("name", ["sales", "daily_metrics", "etl2"])
def test_valid_dag_names(name: str) -> None:
    assert validate_dag_name(name) == name


@pytest.mark.parametrize("name", ["Sales", "2etl", "daily-metrics", "class", "", "a b", "x" * 49])
def test_invalid_dag_names(name: str) -> None:
    with pytest.raises(InvalidNameError, match="DAG name"):
        validate_dag_name(name)


def _jinja_tests(monkeypatch: pytest.MonkeyPatch) -> dict[str, Callable[..., bool]]:
    """The collection's Jinja tests (plugins/test/names.py), as Ansible loads them."""
    monkeypatch.syspath_prepend(str(COLLECTIONS_PATH))
    plugin = importlib.import_module("ansible_collections.dagster_ecs.aws.plugins.test.names")
    return plugin.TestModule().tests()


@pytest.mark.parametrize("value", ["main", "repo-2", "a" * 32, "re--po", "Main", "repo-", "a" * 33, "", 2, None])
def test_the_repository_name_jinja_test_is_the_python_rule(value: object, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        validate_repository_name(value)  # ty: ignore[invalid-argument-type]
        valid = True
    except InvalidNameError:
        valid = False
    assert _jinja_tests(monkeypatch)["repository_name"](value) is valid


@pytest.mark.parametrize(
    ("value", "max_length"),
    [("dagster-ecs-dev", None), ("dagster-ecs-dev", 15), ("dagster-ecs-dev", 14), ("dagster--ecs", None), ("a", None)],
)
def test_the_name_prefix_jinja_test_is_the_python_rule(
    value: str, max_length: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        validate_name_prefix(value, max_length=max_length)
        valid = True
    except InvalidNameError:
        valid = False
    assert _jinja_tests(monkeypatch)["name_prefix"](value, max_length=max_length) is valid
