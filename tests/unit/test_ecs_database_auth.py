"""The ECS dagster.yaml signs in to PostgreSQL as the Dagster login with an RDS IAM auth token, never with the
master password (issue 9 defect 8).

Checked against the installed dagster-postgres 0.29.27: `auth_provider: {aws_wif: {region}}` beside `postgres_db`
(dagster/_core/storage/config.py pg_config) makes `AwsWifTokenProvider` call boto3's
`rds.generate_db_auth_token(DBHostname, Port, DBUsername)` and inject the token as the password of every new
connection (dagster_postgres/auth.py). The token is a SigV4-presigned URL computed locally, so it can be
generated here without any AWS call; whether RDS accepts it cannot be checked offline.
"""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dagster_ecs.config import to_yaml
from dagster_ecs.config.ecs_settings import EcsInstanceSettings
from dagster_ecs.config.instance import ecs_instance_config, validate_instance_directory

SETTINGS = EcsInstanceSettings(
    region="ap-southeast-2",
    cluster="dagster-ecs-dev",
    subnets=("subnet-0123456789abcdef0",),
    security_groups=("sg-0123456789abcdef0",),
    bucket="dagster-ecs-dev-data",
)
ENV = {
    "DAGSTER_POSTGRES_HOST": "db.abc123.ap-southeast-2.rds.amazonaws.com",
    "DAGSTER_POSTGRES_PORT": "5432",
    "DAGSTER_POSTGRES_USER": "dagster",
    "DAGSTER_POSTGRES_DB": "dagster",
}


def test_storage_uses_the_iam_auth_provider_and_tls_without_any_password() -> None:
    storage = ecs_instance_config(SETTINGS)["storage"]["postgres"]
    assert storage["auth_provider"] == {"aws_wif": {"region": "ap-southeast-2"}}
    assert "password" not in storage["postgres_db"]
    assert storage["postgres_db"]["username"] == {"env": "DAGSTER_POSTGRES_USER"}
    # RDS accepts IAM auth only over TLS.
    assert storage["postgres_db"]["params"] == {"sslmode": "require"}


def test_the_run_launcher_injects_no_database_secret() -> None:
    launcher = ecs_instance_config(SETTINGS)["run_launcher"]["config"]
    assert "DAGSTER_POSTGRES_PASSWORD" not in to_yaml(ecs_instance_config(SETTINGS))
    assert launcher.get("secrets", []) == []


def test_dagster_accepts_the_file_with_no_password_in_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DAGSTER_POSTGRES_PASSWORD", raising=False)
    (tmp_path / "dagster.yaml").write_text(to_yaml(ecs_instance_config(SETTINGS)))
    validate_instance_directory(tmp_path)


def test_dagster_postgres_builds_an_rds_token_for_the_login(monkeypatch: pytest.MonkeyPatch) -> None:
    """The processed storage config, handed to dagster-postgres as it would be at start-up, yields a token
    provider that signs rds-db:connect for the login on the instance's endpoint."""
    from dagster._config import process_config, resolve_to_config_type
    from dagster_postgres import DagsterPostgresStorage
    from dagster_postgres.utils import get_token_provider_from_config

    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    block = ecs_instance_config(SETTINGS)["storage"]["postgres"]
    result = process_config(resolve_to_config_type(DagsterPostgresStorage.config_type()), block)
    assert result.success, result.errors
    assert result.value is not None
    provider = get_token_provider_from_config(result.value)
    assert provider is not None
    token = provider.get_token()
    url = urlsplit(f"https://{token}")
    assert url.hostname == ENV["DAGSTER_POSTGRES_HOST"]
    assert url.port == 5432
    query = parse_qs(url.query)
    assert query["Action"] == ["connect"]
    assert query["DBUser"] == ["dagster"]
    assert "/ap-southeast-2/rds-db/" in query["X-Amz-Credential"][0]
