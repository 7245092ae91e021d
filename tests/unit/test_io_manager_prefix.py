"""The asset IO manager lists only inside its repository's prefix, so a prefix-conditioned ListBucket allows it.

The repository role allows s3:ListBucket only with `s3:prefix` like `repos/<repo>/*`; S3PickleIOManager's
constructor lists with its `s3_prefix` as the Prefix (dagster_aws 0.29.27 s3/io_manager.py), so that prefix
must end with "/" (and `repos/main` would also match `repos/main-2/`).
"""

import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from dagster import AssetKey, asset, materialize

from dagster_ecs.definitions import platform_resources
from dagster_ecs.settings import settings_from_env
from tests.support.moto_server import MotoServer, platform_bucket

BUCKET = "dagster-ecs-test-io-manager"
# werkzeug's access log line: "GET /path?query HTTP/1.1" 200 -
_REQUEST = re.compile(r'"(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP/[\d.]+"')


def list_prefixes(log_path: Path, since: int) -> list[str]:
    """The Prefix of every ListObjects(V2) request on BUCKET the emulator answered after byte `since` of its log."""
    prefixes = []
    for method, target in _REQUEST.findall(log_path.read_text(errors="replace")[since:]):
        url = urlsplit(target)
        query = parse_qs(url.query, keep_blank_values=True)
        if method == "GET" and unquote(url.path).strip("/") == BUCKET and "prefix" in query:
            prefixes.append(query["prefix"][0])
    return prefixes


@pytest.fixture
def bucket(aws: MotoServer, monkeypatch: pytest.MonkeyPatch) -> str:
    return platform_bucket(monkeypatch, BUCKET)


def test_io_manager_lists_with_the_prefix_the_role_allows_and_keeps_its_keys(aws: MotoServer, bucket: str) -> None:
    @asset(key=AssetKey(["sales", "daily"]))
    def daily() -> list[int]:
        return [1, 2, 3]

    @asset(key=AssetKey(["sales", "total"]))
    def total(daily: list[int]) -> int:
        return sum(daily)

    since = len(aws.log_path.read_text(errors="replace"))
    result = materialize([daily, total], resources=platform_resources("main", settings_from_env()))
    assert result.success
    assert result.output_for_node("sales__total") == 6

    prefixes = list_prefixes(aws.log_path, since)
    assert prefixes, f"no ListObjects request on {bucket} in {aws.log_path}"
    # What the role's `s3:prefix` StringLike "repos/main/*" matches; "repos/main" (no slash) would be denied.
    assert all(prefix.startswith("repos/main/") for prefix in prefixes), prefixes
    keys = {obj["Key"] for obj in boto3.client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])}
    # The keys are what they were with the unslashed prefix: no doubled or missing "/".
    assert keys == {"repos/main/sales/daily", "repos/main/sales/total"}
