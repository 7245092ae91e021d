"""dagster-ecs: the shared DAG platform every repository imports from the image.

The DAG-facing names are imported on first use: the container entrypoint and the Ansible lookups import
this package too, and must not pay for loading Dagster.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dagster_ecs.definitions import get_repository_resources
    from dagster_ecs.s3_prefix import S3PrefixResource

__all__ = ["S3PrefixResource", "get_repository_resources"]


def __getattr__(name: str) -> Any:
    if name == "get_repository_resources":
        from dagster_ecs.definitions import get_repository_resources

        return get_repository_resources
    if name == "S3PrefixResource":
        from dagster_ecs.s3_prefix import S3PrefixResource

        return S3PrefixResource
    raise AttributeError(f"module 'dagster_ecs' has no attribute {name!r}")
