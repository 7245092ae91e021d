"""Helpers for DAGs, under the import path the original template used.

They ship in the installed `dagster_ecs` package, so every repository (and every code server reading
a repository from EFS) imports the same code from the image; new DAGs import from `dagster_ecs` directly.
"""

from dagster_ecs import S3PrefixResource, get_repository_resources

__all__ = ["S3PrefixResource", "get_repository_resources"]
