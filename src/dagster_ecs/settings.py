"""Where a repository's objects live, read once from the environment.

ECS task definitions set `DAGSTER_ECS_ENVIRONMENT`, `S3_BUCKET` and `AWS_DEFAULT_REGION`; a laptop sets none
of them and gets local files under DAGSTER_HOME instead of S3.
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_REGION = "ap-southeast-2"
LOCAL_ENVIRONMENT = "local"
ENVIRONMENTS = (LOCAL_ENVIRONMENT, "dev", "staging", "prod")
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class ConfigurationError(ValueError):
    """The environment does not describe a usable deployment."""


@dataclass(frozen=True)
class PlatformSettings:
    environment: str
    region: str
    bucket: str | None
    local_root: Path

    @property
    def uses_s3(self) -> bool:
        return self.bucket is not None


def is_valid_bucket_name(name: str) -> bool:
    """S3's naming rules for a general purpose bucket (3-63 characters, lowercase, no '..')."""
    return bool(_BUCKET_RE.fullmatch(name)) and ".." not in name


def default_dagster_home(env: Mapping[str, str] | None = None) -> Path:
    """DAGSTER_HOME if set, else `.dagster` in the working directory (what `dagster-ecs dev` uses)."""
    env = os.environ if env is None else env
    return Path(env.get("DAGSTER_HOME") or Path.cwd() / ".dagster")


def settings_from_env(env: Mapping[str, str] | None = None) -> PlatformSettings:
    """Read the platform settings; raise ConfigurationError naming the variable that is wrong."""
    env = os.environ if env is None else env
    environment = env.get("DAGSTER_ECS_ENVIRONMENT", LOCAL_ENVIRONMENT) or LOCAL_ENVIRONMENT
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"DAGSTER_ECS_ENVIRONMENT={environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    bucket = env.get("S3_BUCKET") or None
    if bucket is not None and not is_valid_bucket_name(bucket):
        raise ConfigurationError(f"S3_BUCKET={bucket!r} is not a valid S3 bucket name")
    if bucket is None and environment != LOCAL_ENVIRONMENT:
        raise ConfigurationError(
            f"S3_BUCKET is not set, but DAGSTER_ECS_ENVIRONMENT={environment!r} stores asset outputs in S3: "
            "set S3_BUCKET to the environment's bucket (local files are only used when the environment is 'local')"
        )
    region = env.get("AWS_DEFAULT_REGION") or env.get("AWS_REGION") or DEFAULT_REGION
    local_root = Path(env.get("DAGSTER_ECS_LOCAL_STORAGE") or default_dagster_home(env) / "objects")
    return PlatformSettings(environment=environment, region=region, bucket=bucket, local_root=local_root.resolve())
