import pytest

from dagster_ecs.names import (
    InvalidNameError,
    python_identifier,
    s3_prefix,
    validate_dag_name,
    validate_repository_name,
)


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
