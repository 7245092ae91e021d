"""S3PrefixResource against both of its stores: the moto server's S3 and a local directory."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

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


def only_prefix_listing(bucket: str, prefix: str) -> str:
    """A bucket policy granting no more listing than the project's roles: only with s3:prefix under `prefix`."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ListOnlyUnderPrefix", "Effect": "Deny", "Principal": "*", "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{bucket}",
            "Condition": {"StringNotLike": {"s3:prefix": [f"{prefix}*"]}},
        }],
    })  # fmt: skip


def test_the_emulator_answers_403_for_a_missing_key_without_list_permission(aws: MotoServer) -> None:
    s3: Any = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=only_prefix_listing(BUCKET, "repos/main/"))
    with pytest.raises(ClientError) as got:
        s3.get_object(Bucket=BUCKET, Key="repos/main/missing")
    assert got.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as headed:
        s3.head_object(Bucket=BUCKET, Key="repos/main/missing")
    assert headed.value.response["Error"]["Code"] == "403"
    with pytest.raises(ClientError) as listed:
        s3.list_objects_v2(Bucket=BUCKET, Prefix="repos/")
    assert listed.value.response["Error"]["Code"] == "AccessDenied"
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="repos/main/missing")["KeyCount"] == 0


def test_a_missing_key_is_a_key_error_even_when_s3_answers_403(s3_store: Callable[[str], S3PrefixResource]) -> None:
    store = s3_store("main")
    boto3.client("s3").put_bucket_policy(Bucket=BUCKET, Policy=only_prefix_listing(BUCKET, "repos/main/"))
    store.put_json("present.json", {"a": 1})
    assert store.get_json("present.json") == {"a": 1}
    with pytest.raises(KeyError, match=r"no object at s3://prefix-test/repos/main/missing\.json"):
        store.get_bytes("missing.json")


def test_a_real_denial_is_not_mistaken_for_a_missing_key(s3_store: Callable[[str], S3PrefixResource]) -> None:
    # The role can list nothing here, so a 403 proves nothing about the key: it is raised, not turned into KeyError.
    store = s3_store("main")
    boto3.client("s3").put_bucket_policy(Bucket=BUCKET, Policy=only_prefix_listing(BUCKET, "repos/other/"))
    with pytest.raises(ClientError, match="AccessDenied"):
        store.get_bytes("missing.json")
