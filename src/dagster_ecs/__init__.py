"""dagster-ecs: the shared DAG platform every repository imports from the image."""

from dagster_ecs.definitions import get_repository_resources
from dagster_ecs.s3_prefix import S3PrefixResource

__all__ = ["S3PrefixResource", "get_repository_resources"]
