"""get_repository_resources: the one call a DAG file makes to become part of its repository's location."""

import functools
import inspect
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from dagster import Definitions, FilesystemIOManager

from dagster_ecs.names import InvalidNameError, s3_prefix, validate_repository_name
from dagster_ecs.s3_prefix import S3PrefixResource
from dagster_ecs.settings import PlatformSettings, settings_from_env

# Set by the location loader while it imports a repository's files; the directory decides the repository,
# whatever name a DAG file gives itself.
_loading_repository: ContextVar[str | None] = ContextVar("dagster_ecs_loading_repository", default=None)


@contextmanager
def loading_repository(repository: str) -> Generator[None]:
    """Within this block, every get_repository_resources call belongs to `repository`."""
    token = _loading_repository.set(validate_repository_name(repository))
    try:
        yield
    finally:
        _loading_repository.reset(token)


@functools.cache
def platform_resources(repository: str, settings: PlatformSettings) -> Mapping[str, Any]:
    """The resources bound in every location: `s3` (prefix-confined) and the asset IO manager.

    Cached so all DAG files of one repository share the same objects, which Definitions.merge requires.
    """
    prefix = s3_prefix(repository)
    if settings.bucket is None:
        return {
            "s3": S3PrefixResource(repository=repository, local_root=str(settings.local_root)),
            "io_manager": FilesystemIOManager(base_dir=str(settings.local_root / prefix)),
        }
    # Imported here: dagster_aws (and boto3 under it) doubles the import time of every code location, which a
    # local run without a bucket (and each live reload there) would pay for nothing.
    from dagster_aws.s3 import S3PickleIOManager, S3Resource

    return {
        "s3": S3PrefixResource(repository=repository, bucket=settings.bucket, region_name=settings.region),
        "io_manager": S3PickleIOManager(
            s3_resource=S3Resource(region_name=settings.region),
            s3_bucket=settings.bucket,
            # With the trailing "/": the constructor's ListObjects uses s3_prefix as Prefix, and the repository
            # role allows s3:ListBucket only for `repos/<repo>/*`. Keys stay `repos/<repo>/<asset key>`: the
            # prefix becomes a UPath, which drops the slash (dagster_aws 0.29.27 s3/io_manager.py).
            # An asset keyed `repos/<dag>/<asset>` (the template's keys) is thus stored at
            # `repos/<repo>/repos/<dag>/<asset>`, on purpose: the `repos/<repo>/` prefix is the repository role's
            # only one; asset keys are global and already name existing users' materializations and objects, so
            # changing them would orphan that data; and dropping a leading `repos` here would store the assets
            # `repos/x/a` and `x/a` at one key.
            s3_prefix=prefix,
        ),
    }


def get_repository_resources(
    repository_name: str,
    assets: Sequence[Any] = (),
    jobs: Sequence[Any] = (),
    schedules: Sequence[Any] = (),
    sensors: Sequence[Any] = (),
    asset_checks: Sequence[Any] = (),
) -> Definitions:
    """A DAG file's Definitions, with its repository's `s3` resource and IO manager bound.

    `repository_name` is the DAG's own label (used in error messages); the storage prefix always comes
    from the directory the file lives in, `dags/<repo>/` → `repos/<repo>/`.
    """
    if not isinstance(repository_name, str) or not repository_name.strip():
        raise InvalidNameError("get_repository_resources needs a non-empty repository_name (the DAG's name)")
    repository = _loading_repository.get() or _repository_of_caller()
    return Definitions(
        assets=list(assets),
        jobs=list(jobs),
        schedules=list(schedules),
        sensors=list(sensors),
        asset_checks=list(asset_checks),
        resources=platform_resources(repository, settings_from_env()),
    )


def _repository_of_caller() -> str:
    """The repository of a DAG file imported directly (tests, `dagster dev -f`): its directory's name."""
    here = inspect.currentframe()
    caller = here.f_back.f_back if here and here.f_back else None
    filename = caller.f_code.co_filename if caller else "<unknown>"
    try:
        return validate_repository_name(Path(filename).resolve().parent.name)
    except InvalidNameError as error:
        raise InvalidNameError(f"{filename} is not inside a DAG repository directory (dags/<repo>/): {error}") from None
