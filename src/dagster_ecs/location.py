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
import types
from collections.abc import Callable
from pathlib import Path

from dagster import ConfigurableResource, Definitions
from pydantic import Field

from dagster_ecs.definitions import loading_repository, platform_resources
from dagster_ecs.discovery import dag_files
from dagster_ecs.names import InvalidNameError, python_identifier, validate_repository_name
from dagster_ecs.settings import settings_from_env

DAGS_DIR_ENV = "DAGSTER_ECS_DAGS_DIR"
CURRENT_RELEASE = "current"
RELEASES_DIR = "releases"
# The resource key under which a location served from a release names it: the reload reads it back through
# GraphQL (Repository.allTopLevelResourceDetails.configuredValues) to confirm the published release is served.
RELEASE_RESOURCE = "dagster_ecs_release"


class ServedRelease(ConfigurableResource):
    """The release (`releases/<id>`) this code location was loaded from; unused by assets."""

    release_id: str = Field(description="The release id this code server loaded.")


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


def release_of(directory: Path) -> str | None:
    """The release id when `directory` is a published release (`<repo>/releases/<id>`), else None."""
    resolved = directory.resolve()
    return resolved.name if resolved.parent.name == RELEASES_DIR else None


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
        resources: dict[str, object] = dict(platform_resources(repository, settings_from_env()))
        release = release_of(directory)
        if release is not None:
            resources[RELEASE_RESOURCE] = ServedRelease(release_id=release)
        storage = Definitions(resources=resources)
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
    sys.modules[name] = _package(name, [str(directory.resolve())])
    _register_dags_package(repository, directory)
    return name


DAGS_PACKAGE = "dags"


def _register_dags_package(repository: str, directory: Path) -> None:
    """Make `dags.<repo>` (the checkout's import path, `from dags.main.resources import ...`) the served directory.

    In a checkout `dags/<repo>/` is that package already; a release on EFS (`<repo>/releases/<id>/`) has no
    `dags/` parent and the image has no checkout on sys.path. So `dags.<repo>` is registered afresh on each load,
    pointing at the directory being loaded (in a checkout: the same files). A name that is no identifier
    (`repo-2`) could never be imported that way and is left alone.
    """
    if not repository.isidentifier():
        return
    if DAGS_PACKAGE not in sys.modules:
        try:
            importlib.import_module(DAGS_PACKAGE)
        except ImportError:
            sys.modules[DAGS_PACKAGE] = _package(DAGS_PACKAGE, [])
    name = f"{DAGS_PACKAGE}.{repository}"
    for loaded in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
        del sys.modules[loaded]
    package = _package(name, [str(directory.resolve())])
    sys.modules[name] = package
    setattr(sys.modules[DAGS_PACKAGE], repository, package)


def _package(name: str, path: list[str]) -> types.ModuleType:
    spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
    spec.submodule_search_locations = path
    return importlib.util.module_from_spec(spec)


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
