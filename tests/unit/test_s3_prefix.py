"""S3PrefixResource against both of its stores: the moto server's S3 and a local directory."""

from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from dagster_ecs.keys import KeyEscapeError
from dagster_ecs.s3_prefix import S3PrefixResource
from tests.support.moto_server import MotoServer

BUCKET = "prefix-test"


@pytest.fixture
def s3_store(aws: MotoServer) -> Callable[[str], S3PrefixResource]:
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    return lambda repo: S3PrefixResource(repository=repo, bucket=BUCKET, region_name="ap-southeast-2")


@pytest.fixture
def local_store(tmp_path: Path) -> Callable[[str], S3PrefixResource]:
    return lambda repo: S3PrefixResource(repository=repo, local_root=str(tmp_path))


@pytest.fixture(params=["s3", "local"])
def store(request: pytest.FixtureRequest) -> Callable[[str], S3PrefixResource]:
    return request.getfixturevalue(f"{request.param}_store")


def test_round_trip_and_listing_are_relative_to_the_prefix(store: Callable[[str], S3PrefixResource]) -> None:
    main = store("main")
    main.put_bytes("a/one.bin", b"1")
    main.put_json("a/two.json", {"n": 2})
    main.put_bytes("b.txt", b"b")
    assert main.get_bytes("a/one.bin") == b"1"
    assert main.get_json("a/two.json") == {"n": 2}
    assert main.list_keys() == ["a/one.bin", "a/two.json", "b.txt"]
    assert main.list_keys("a/") == ["a/one.bin", "a/two.json"]
    main.delete("a/one.bin")
    assert main.list_keys("a/") == ["a/two.json"]
    with pytest.raises(KeyError, match=r"repos/main/a/one\.bin"):
        main.get_bytes("a/one.bin")


def test_repositories_never_see_each_other(store: Callable[[str], S3PrefixResource]) -> None:
    store("main").put_bytes("shared-name.txt", b"main")
    store("mainframe").put_bytes("shared-name.txt", b"mainframe")
    assert store("main").get_bytes("shared-name.txt") == b"main"
    assert store("main").list_keys() == ["shared-name.txt"]
    assert store("repo-2").list_keys() == []


@pytest.mark.parametrize("key", ["../mainframe/shared-name.txt", "/repos/other/x", "", "a/../../x", "bad\x01"])
def test_escaping_keys_fail_before_any_request(store: Callable[[str], S3PrefixResource], key: str) -> None:
    main = store("main")
    for operation in (
        lambda: main.put_bytes(key, b"x"),
        lambda: main.get_bytes(key),
        lambda: main.delete(key),
        lambda: main.uri(key),
    ):
        with pytest.raises(KeyEscapeError):
            operation()
    with pytest.raises(KeyEscapeError):
        main.list_keys("../")


def test_s3_objects_land_under_repos_prefix(s3_store: Callable[[str], S3PrefixResource]) -> None:
    uri = s3_store("repo-2").put_bytes("x/y.txt", b"y")
    assert uri == f"s3://{BUCKET}/repos/repo-2/x/y.txt"
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == ["repos/repo-2/x/y.txt"]


def test_local_store_mirrors_the_bucket_layout(tmp_path: Path) -> None:
    S3PrefixResource(repository="main", local_root=str(tmp_path)).put_bytes("x/y.txt", b"y")
    assert (tmp_path / "repos" / "main" / "x" / "y.txt").read_bytes() == b"y"


def test_invalid_repository_is_refused() -> None:
    with pytest.raises(ValueError, match="repository name"):
        _ = S3PrefixResource(repository="../etc", local_root="/tmp").prefix
