import pytest

from dagster_ecs.keys import KeyEscapeError, confine_key, confine_listing_prefix, relative_key

PREFIX = "repos/main/"


@pytest.mark.parametrize(
    ("key", "full"),
    [
        ("data.json", "repos/main/data.json"),
        ("output/2024/part-0.parquet", "repos/main/output/2024/part-0.parquet"),
        ("dir/", "repos/main/dir/"),
        ("..hidden", "repos/main/..hidden"),
        ("a..b/c", "repos/main/a..b/c"),
    ],
)
def test_keys_are_placed_under_the_prefix(key: str, full: str) -> None:
    assert confine_key(PREFIX, key) == full


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("", "empty key"),
        ("../analytics/secret.json", r"'\.\.'"),
        ("output/../../analytics/x", r"'\.\.'"),
        ("..", r"'\.\.'"),
        ("/etc/passwd", "absolute"),
        ("/repos/analytics/x", "absolute"),
        ("a//b", "empty"),
        ("./a", r"'\.'"),
        ("a/./b", r"'\.'"),
        ("a\\..\\b", "backslash"),
        ("line\nbreak", "control character"),
        ("nul\x00byte", "control character"),
        ("del\x7f", "control character"),
        ("x" * 1015, "longer than"),
    ],
)
def test_escaping_or_unusable_keys_are_refused(key: str, why: str) -> None:
    with pytest.raises(KeyEscapeError, match=why):
        confine_key(PREFIX, key)


def test_listing_prefix_defaults_to_the_whole_repository() -> None:
    assert confine_listing_prefix(PREFIX, "") == PREFIX
    assert confine_listing_prefix(PREFIX, "out/") == "repos/main/out/"
    with pytest.raises(KeyEscapeError):
        confine_listing_prefix(PREFIX, "../")


def test_relative_key_refuses_foreign_objects() -> None:
    assert relative_key(PREFIX, "repos/main/a/b") == "a/b"
    with pytest.raises(KeyEscapeError, match="outside"):
        relative_key(PREFIX, "repos/mainframe/a")
