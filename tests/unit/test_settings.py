from pathlib import Path

import pytest

from dagster_ecs.settings import ConfigurationError, settings_from_env


def test_local_defaults_store_objects_under_dagster_home(tmp_path: Path) -> None:
    settings = settings_from_env({"DAGSTER_HOME": str(tmp_path)})
    assert settings.environment == "local"
    assert settings.bucket is None
    assert settings.region == "ap-southeast-2"
    assert settings.local_root == tmp_path / "objects"


def test_bucket_and_region_come_from_the_environment() -> None:
    settings = settings_from_env({"S3_BUCKET": "acme-dagster-prod", "AWS_DEFAULT_REGION": "us-east-1"})
    assert settings.uses_s3
    assert (settings.bucket, settings.region) == ("acme-dagster-prod", "us-east-1")


def test_production_without_a_bucket_fails_naming_the_variable() -> None:
    with pytest.raises(ConfigurationError, match=r"S3_BUCKET is not set.*'prod'"):
        settings_from_env({"DAGSTER_ECS_ENVIRONMENT": "prod"})


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"DAGSTER_ECS_ENVIRONMENT": "production"}, "DAGSTER_ECS_ENVIRONMENT"),
        ({"S3_BUCKET": "Bad_Bucket"}, "S3_BUCKET"),
        ({"S3_BUCKET": "a..b"}, "S3_BUCKET"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        settings_from_env(env)
