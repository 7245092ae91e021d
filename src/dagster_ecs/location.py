"""The code-location loader: one repository directory in, one merged Definitions out.

Workspaces and code servers point at this module with the repository as the attribute
(`dagster code-server start -m dagster_ecs.location -a <repo>`), so adding a DAG file or a repository never
needs a hand-written entry point. `repo-2` works as an attribute because it is looked up by name.
"""

import functools
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path

from dagster import Definitions

from dagster_ecs.definitions import loading_repository, platform_resources
from dagster_ecs.discovery import dag_files
from dagster_ecs.names import InvalidNameError, python_identifier, validate_repository_name
from dagster_ecs.settings import settings_from_env

DAGS_DIR_ENV = "DAGSTER_ECS_DAGS_DIR"


class RepositoryLoadError(ImportError):
    """A DAG file of the repository could not be imported; the message names the file."""


def dags_dir() -> Path:
    """Where repositories live: DAGSTER_ECS_DAGS_DIR, else ./dags."""
    return Path(os.environ.get(DAGS_DIR_ENV) or Path.cwd() / "dags").resolve()


def load_repository(repository: str, directory: Path) -> Definitions:
    """Import every DAG file of `directory` afresh and merge their Definitions into the repository's location."""
    validate_repository_name(repository)
    if not directory.is_dir():
        raise RepositoryLoadError(f"repository {repository!r} has no directory at {directory}")
    package = _fresh_repository_package(repository, directory)
    found: dict[int, Definitions] = {}
    with loading_repository(repository):
        for path in dag_files(directory):
            try:
                module = importlib.import_module(f"{package}.{path.stem}")
            except Exception as error:
                raise RepositoryLoadError(
                    f"repository {repository!r}: {path} failed to load: {type(error).__name__}: {error}"
                ) from error
            for value in vars(module).values():
                if isinstance(value, Definitions):
                    found[id(value)] = value
        # Bound even when no file defines anything, so the location always has the repository's storage.
        storage = Definitions(resources=platform_resources(repository, settings_from_env()))
    return Definitions.merge(*found.values(), storage)


def _fresh_repository_package(repository: str, directory: Path) -> str:
    """Register a package whose path is the repository directory, so its files can import each other.

    Earlier imports of it are dropped, so a load always reads the files as they are now. The name carries a
    digest of the path: two checkouts of the same repository never share modules.
    """
    digest = hashlib.sha256(str(directory.resolve()).encode()).hexdigest()[:10]
    name = f"_dagster_ecs_repo_{python_identifier(repository)}_{digest}"
    for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[loaded]
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = [str(directory.resolve())]
    sys.modules[name] = importlib.util.module_from_spec(spec)
    return name


@functools.cache
def _served_repository(repository: str) -> Definitions:
    return load_repository(repository, dags_dir() / repository)


def __getattr__(name: str) -> Definitions:
    """`dagster_ecs.location.<repo>` is that repository's Definitions, loaded once per process."""
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        repository = validate_repository_name(name)
    except InvalidNameError as error:
        raise AttributeError(f"{name!r} is not a DAG repository: {error}") from None
    return _served_repository(repository)
