"""Generated dagster.yaml (dagster_ecs.config.instance), validated by Dagster's and dagster-aws's own config schemas:
a laptop's or a test's, and the ECS services'. docker-compose.yml's is checked by tests/image/test_compose.py."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from dagster import DagsterRun
from dagster._config import process_config, resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config
from dagster._core.remote_origin import GrpcServerCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.storage.compute_log_manager import ComputeIOType
from dagster._core.storage.tags import CODE_LOCATION_TAG
from dagster._serdes.config_class import ConfigurableClassData
from dagster_aws.ecs import EcsRunLauncher
from dagster_aws.ecs.container_context import EcsContainerContext
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager
from dagster_postgres import DagsterPostgresStorage

from dagster_ecs.compute_logs import CodeLocationS3ComputeLogManager, UnattributedLogsError
from dagster_ecs.config import DeployConfigError, to_yaml
from dagster_ecs.config.ecs_settings import EcsInstanceSettings
from dagster_ecs.config.instance import (
    ecs_instance_config,
    local_instance_config,
    postgres_configured,
    validate_instance_directory,
)
from dagster_ecs.container import code_server_environment
from dagster_ecs.run_launcher import DagsterEcsRunLauncher

POSTGRES_ENV = {
    "DAGSTER_POSTGRES_HOST": "db.internal",
    "DAGSTER_POSTGRES_USER": "dagster",
    "DAGSTER_POSTGRES_PASSWORD": "not-in-the-file",
    "DAGSTER_POSTGRES_DB": "dagster",
    "DAGSTER_POSTGRES_PORT": "5432",
}


def validated_instance(tmp_path: Path, config: dict) -> dict:
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    validated, _ = dagster_instance_config(str(tmp_path))
    return dict(validated)


def test_local_instance_is_valid_and_uses_embedded_storage(tmp_path: Path) -> None:
    validated = validated_instance(tmp_path, local_instance_config({}))
    assert "storage" not in local_instance_config({})
    assert validated["telemetry"] == {"enabled": False}


def test_postgres_instance_is_valid_and_holds_no_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in POSTGRES_ENV.items():
        monkeypatch.setenv(name, value)
    config = local_instance_config(POSTGRES_ENV)
    validated = validated_instance(tmp_path, config)
    assert validated["storage"]["postgres"]["postgres_db"]["password"] == {"env": "DAGSTER_POSTGRES_PASSWORD"}
    assert "not-in-the-file" not in (tmp_path / "dagster.yaml").read_text()


def test_half_configured_postgres_names_what_is_missing() -> None:
    with pytest.raises(ValueError, match="DAGSTER_POSTGRES_PASSWORD, DAGSTER_POSTGRES_DB not set"):
        postgres_configured({"DAGSTER_POSTGRES_HOST": "db", "DAGSTER_POSTGRES_USER": "u"})


# --- ECS

PASSWORD = "pw-that-must-never-be-written-9f3c"
SETTINGS = EcsInstanceSettings(
    region="ap-southeast-2",
    cluster="dagster-ecs-dev",
    subnets=("subnet-0123456789abcdef0", "subnet-0fedcba9876543210"),
    security_groups=("sg-0a1b2c3d4e5f60718",),
    bucket="dagster-ecs-dev-data",
    max_concurrent_runs=8,
    max_runs_per_repository=3,
)
VARIANTS = {
    "default": SETTINGS,
    "spot-retries": replace(
        SETTINGS,
        capacity_provider="FARGATE_SPOT",
        run_retries=2,
        max_runtime_seconds=7200,
        cluster="arn:aws:ecs:ap-southeast-2:123456789012:cluster/dagster-ecs-prod",
    ),
}


def write_instance(directory: Path, settings: EcsInstanceSettings) -> str:
    text = to_yaml(ecs_instance_config(settings))
    (directory / "dagster.yaml").write_text(text)
    return text


@pytest.mark.usefixtures("runtime_env")
@pytest.mark.parametrize("variant", VARIANTS)
def test_instance_passes_dagsters_instance_schema_and_holds_no_password(tmp_path: Path, variant: str) -> None:
    text = write_instance(tmp_path, VARIANTS[variant])
    validated, custom_class = dagster_instance_config(str(tmp_path))
    assert custom_class is None
    assert validated["telemetry"] == {"enabled": False}
    assert "password" not in validated["storage"]["postgres"]["postgres_db"]
    assert validated["storage"]["postgres"]["auth_provider"] == {"aws_wif": {"region": "ap-southeast-2"}}
    assert validated["run_launcher"]["module"] == "dagster_ecs.run_launcher"
    assert validated["compute_logs"]["config"]["prefix"] == "compute_logs"
    assert validated["run_monitoring"]["enabled"] is True
    assert validated["code_servers"]["reload_timeout"] == 180
    assert PASSWORD not in text
    # No password setting at all: the processes sign in with IAM auth tokens.
    assert "password" not in text.lower()
    validate_instance_directory(tmp_path)


@pytest.mark.usefixtures("runtime_env")
@pytest.mark.parametrize("variant", VARIANTS)
def test_each_configurable_class_accepts_its_config(tmp_path: Path, variant: str) -> None:
    config = ecs_instance_config(VARIANTS[variant])
    for klass, value in (
        (DagsterPostgresStorage, config["storage"]["postgres"]),
        (DagsterEcsRunLauncher, config["run_launcher"]["config"]),
        (CodeLocationS3ComputeLogManager, config["compute_logs"]["config"]),
    ):
        result = process_config(resolve_to_config_type(klass.config_type()), value)
        assert result.success, (klass.__name__, result.errors)
    resolved = process_config(
        resolve_to_config_type(DagsterPostgresStorage.config_type()), config["storage"]["postgres"]
    )
    assert resolved.value is not None
    # No password: dagster-postgres's aws_wif token provider supplies an IAM auth token per connection.
    assert resolved.value["postgres_db"]["password"] == ""
    assert resolved.value["postgres_db"]["params"] == {"sslmode": "require"}


def rehydrate(block: dict) -> object:
    return ConfigurableClassData(block["module"], block["class"], yaml.safe_dump(block["config"])).rehydrate()


@pytest.mark.usefixtures("runtime_env")
def test_run_launcher_starts_runs_in_private_subnets_without_public_ip() -> None:
    # Constructing the launcher runs its own invariants, including every run_task_kwargs key against the
    # RunTask API model; no AWS call is made because no task definition is named.
    launcher = rehydrate(ecs_instance_config(SETTINGS)["run_launcher"])
    assert isinstance(launcher, EcsRunLauncher)
    assert launcher.use_current_ecs_task_config is False
    assert launcher.run_task_kwargs["launchType"] == "FARGATE"
    assert launcher.run_task_kwargs["networkConfiguration"] == {
        "awsvpcConfiguration": {
            "subnets": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
            "securityGroups": ["sg-0a1b2c3d4e5f60718"],
            "assignPublicIp": "DISABLED",
        }
    }
    assert launcher.secrets == []  # no run task is handed the database master password
    assert launcher.secrets_tags == []  # no ListSecrets on every launch


@pytest.mark.usefixtures("runtime_env")
def test_spot_runs_use_a_capacity_provider() -> None:
    launcher = rehydrate(ecs_instance_config(VARIANTS["spot-retries"])["run_launcher"])
    assert isinstance(launcher, EcsRunLauncher)
    assert "launchType" not in launcher.run_task_kwargs
    assert launcher.run_task_kwargs["capacityProviderStrategy"] == [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]
    assert launcher.secrets == []


@pytest.mark.usefixtures("runtime_env")
def test_a_run_runs_as_its_code_locations_task_definition_whatever_the_code_server_reports() -> None:
    """The family comes from the run's code location (the workspace), not from what a code server reports."""
    launcher = rehydrate(ecs_instance_config(SETTINGS)["run_launcher"])
    assert isinstance(launcher, DagsterEcsRunLauncher)
    reported = code_server_environment(
        {"DAGSTER_ECS_RUN_TASK_DEFINITION": "dagster-ecs-dev-code-main:7", "DAGSTER_ECS_RUN_CONTAINER_NAME": "code"}
    )
    location = GrpcServerCodeLocationOrigin(  # ty: ignore[abstract-class-instantiation]
        host="repo-2.dagster-ecs-dev.local", port=4000, location_name="repo-2"
    )
    origin = RemoteJobOrigin(RemoteRepositoryOrigin(location, "__repository__"), "repo_2_job")
    run = DagsterRun(job_name="repo_2_job", remote_job_origin=origin)
    context = EcsContainerContext.create_for_run(run, launcher).merge(
        EcsContainerContext.create_from_config(json.loads(reported["DAGSTER_CONTAINER_CONTEXT"]))
    )
    kwargs = launcher._run_task_kwargs(run, None, context)
    assert kwargs["taskDefinition"] == "dagster-ecs-dev-code-repo-2"
    assert kwargs["cluster"] == "dagster-ecs-dev"
    assert kwargs["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"
    assert kwargs["propagateTags"] == "TASK_DEFINITION"
    assert launcher.get_container_name(context) == "dagster"


def test_code_task_definition_prefix_defaults_to_the_cluster_name_as_the_services_role_names_them() -> None:
    assert SETTINGS.code_family_prefix == "dagster-ecs-dev-code-"
    assert VARIANTS["spot-retries"].code_family_prefix == "dagster-ecs-prod-code-"
    config = ecs_instance_config(replace(SETTINGS, code_task_definition_prefix="other-code-"))
    assert config["run_launcher"]["config"]["code_task_definition_prefix"] == "other-code-"


@pytest.mark.usefixtures("runtime_env")
def test_compute_logs_go_to_the_bucket_under_compute_logs(tmp_path: Path) -> None:
    manager = rehydrate(ecs_instance_config(SETTINGS)["compute_logs"])
    # dagster-aws's manager, keyed per code location (tests/e2e/test_compute_logs.py runs it).
    assert isinstance(manager, CodeLocationS3ComputeLogManager)
    assert isinstance(manager, S3ComputeLogManager)
    assert manager._s3_bucket == "dagster-ecs-dev-data"
    assert manager._s3_prefix == "compute_logs"
    # Without a run record naming a code location there is no prefix any role may write.
    with pytest.raises(UnattributedLogsError, match="belong to no code location"):
        manager._s3_key(["run-1", "compute_logs", "step"], ComputeIOType.STDOUT)


def test_run_queue_limits_runs_per_code_location_with_dagsters_own_tag() -> None:
    runs = ecs_instance_config(SETTINGS)["concurrency"]["runs"]
    assert runs["max_concurrent_runs"] == 8
    # The tag Dagster adds to every run created from a code location (run_domain.create_run).
    assert runs["tag_concurrency_limits"] == [
        {"key": CODE_LOCATION_TAG, "value": {"applyLimitPerUniqueValue": True}, "limit": 3}
    ]
    assert CODE_LOCATION_TAG == "dagster/code_location"


def test_run_retries_and_runtime_limit_are_optional() -> None:
    assert "run_retries" not in ecs_instance_config(SETTINGS)
    assert "max_runtime_seconds" not in ecs_instance_config(SETTINGS)["run_monitoring"]
    config = ecs_instance_config(VARIANTS["spot-retries"])
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}
    assert config["run_monitoring"]["max_runtime_seconds"] == 7200


def test_missing_host_is_reported_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PORT", "USER", "DB"):
        monkeypatch.setenv(f"DAGSTER_POSTGRES_{name}", "x" if name != "PORT" else "5432")
    monkeypatch.delenv("DAGSTER_POSTGRES_HOST", raising=False)
    write_instance(tmp_path, SETTINGS)
    with pytest.raises(DeployConfigError, match='"DAGSTER_POSTGRES_HOST" which is not set'):
        validate_instance_directory(tmp_path)


@pytest.mark.usefixtures("runtime_env")
def test_launcher_keys_dagster_aws_rejects_are_caught(tmp_path: Path) -> None:
    config = ecs_instance_config(SETTINGS)
    # A top-level key older dagster-aws releases took; 0.29 wants it under task_definition.
    config["run_launcher"]["config"]["task_role_arn"] = "arn:aws:iam::123456789012:role/x"
    (tmp_path / "dagster.yaml").write_text(to_yaml(config))
    with pytest.raises(
        DeployConfigError, match=r"run_launcher \(dagster_ecs.run_launcher.DagsterEcsRunLauncher\).*task_role_arn"
    ):
        validate_instance_directory(tmp_path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"subnets": ("subnet-xyz",)}, "subnets: 'subnet-xyz' is not an id"),
        ({"subnets": ()}, "subnets is empty"),
        ({"subnets": "subnet-0123456789abcdef0"}, "subnets must be a list"),
        ({"security_groups": ("sg-1",)}, "security_groups: 'sg-1' is not an id"),
        ({"security_groups": tuple(f"sg-0123456{i}" for i in range(6))}, "security_groups has 6 ids"),
        ({"region": "Sydney"}, "region='Sydney' is not an AWS region"),
        ({"cluster": "my cluster"}, "cluster='my cluster'"),
        ({"bucket": "Bad_Bucket"}, "bucket='Bad_Bucket'"),
        ({"bucket": "a..b"}, "bucket='a..b' is not a valid S3 bucket name"),
        ({"max_concurrent_runs": 0}, "max_concurrent_runs=0 must be an integer >= 1"),
        ({"max_concurrent_runs": True}, "max_concurrent_runs=True"),
        ({"max_runs_per_repository": 9}, "max_runs_per_repository=9 exceeds max_concurrent_runs=8"),
        ({"capacity_provider": "EC2"}, "capacity_provider='EC2'"),
        ({"compute_log_prefix": "/logs"}, "compute_log_prefix='/logs'"),
        ({"run_retries": -1}, "run_retries=-1"),
        ({"code_task_definition_prefix": "dagster-ecs-dev-code"}, "code_task_definition_prefix='dagster-ecs-dev-code'"),
        ({"code_task_definition_prefix": "a b-"}, "code_task_definition_prefix='a b-' is not a task definition"),
    ],
)
def test_bad_settings_fail_with_the_setting_named(change: dict, message: str) -> None:
    with pytest.raises(DeployConfigError, match=message.replace("(", r"\(").replace("?", r"\?")):
        replace(SETTINGS, **change)


def test_settings_accept_lists_and_stay_immutable() -> None:
    settings = replace(SETTINGS, subnets=["subnet-0123456789abcdef0"])
    assert settings.subnets == ("subnet-0123456789abcdef0",)
    assert hash(settings)
