"""The code-location loader: one repository directory in, one merged Definitions out.

Workspaces and code servers point at this module with the repository as the attribute
(`dagster code-server start -m dagster_ecs.location -a <repo>`), so adding a DAG file or a repository never
needs a hand-written entry point. `repo-2` works as an attribute because it is looked up by name.

A repository published as releases (`dagster_ecs.publish`: `<repo>/current -> releases/<id>`) is served from
the release `current` points to when the code is loaded; a plain checkout (`dags/<repo>/*.py`) is served as is.
"""

import functools
import hashlib
import importlib
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable
from pathlib import Path

from dagster import Definitions

from dagster_ecs.definitions import loading_repository, platform_resources
from dagster_ecs.discovery import dag_files
from dagster_ecs.names import InvalidNameError, python_identifier, validate_repository_name
from dagster_ecs.settings import settings_from_env

DAGS_DIR_ENV = "DAGSTER_ECS_DAGS_DIR"
CURRENT_RELEASE = "current"


class RepositoryLoadError(ImportError):
    """A DAG file of the repository could not be imported; the message names the file (and `.path` is it)."""


def dags_dir() -> Path:
    """Where repositories live: DAGSTER_ECS_DAGS_DIR, else ./dags."""
    return Path(os.environ.get(DAGS_DIR_ENV) or Path.cwd() / "dags").resolve()


def served_directory(repository: str, root: Path | None = None) -> Path:
    """The directory a repository's code is loaded from: its live release when published, else itself.

    `current` is resolved here, at load time, so each reload of a code server loads the release that is live
    then, and a publish switching `current` halfway through a load cannot mix two releases.
    """
    directory = (root if root is not None else dags_dir()) / repository
    current = directory / CURRENT_RELEASE
    if not current.is_symlink() and not current.exists():
        return directory
    try:
        return current.resolve(strict=True)
    except OSError as error:
        raise RepositoryLoadError(f"repository {repository!r}: {current} does not lead to a release: {error}") from None


def load_repository(repository: str, directory: Path, include: Callable[[Path], bool] | None = None) -> Definitions:
    """Import every DAG file of `directory` afresh and merge their Definitions into the repository's location.

    `include` leaves out DAG files it returns False for (the publish preflight skips files that are not published).
    """
    validate_repository_name(repository)
    if not directory.is_dir():
        raise RepositoryLoadError(f"repository {repository!r} has no directory at {directory}")
    package = _fresh_repository_package(repository, directory)
    found: dict[int, Definitions] = {}
    with loading_repository(repository):
        for path in dag_files(directory):
            if include is not None and not include(path):
                continue
            try:
                module = importlib.import_module(f"{package}.{path.stem}")
            except Exception as error:
                raise RepositoryLoadError(
                    f"repository {repository!r}: {path} failed to load: {type(error).__name__}: {error}",
                    path=str(path),
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
    return load_repository(repository, served_directory(repository))


def __getattr__(name: str) -> Definitions:
    """`dagster_ecs.location.<repo>` is that repository's Definitions, loaded once per process."""
    if name.startswith("__"):
        raise AttributeError(name)
    try:
        repository = validate_repository_name(name)
    except InvalidNameError as error:
        raise AttributeError(f"{name!r} is not a DAG repository: {error}") from None
    return _served_repository(repository)
