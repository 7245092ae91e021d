"""Finding repositories under dags/ and the DAG files inside each one."""

from dataclasses import dataclass
from pathlib import Path

from dagster_ecs.names import InvalidNameError, validate_repository_name


@dataclass(frozen=True)
class Repository:
    name: str
    path: Path


def ignored_module_reason(stem: str) -> str | None:
    """Why the loader skips a module named `stem` (private modules and pytest's files), or None if it loads it."""
    if stem.startswith(("_", ".")):
        return "private modules (a leading '_' or '.') are skipped"
    if stem == "conftest" or stem.startswith("test_") or stem.endswith("_test"):
        return "pytest's files (test_*, *_test, conftest) are skipped"
    return None


def is_dag_file(path: Path) -> bool:
    """DAG files are a repository's top-level modules; private modules and tests are not."""
    return path.suffix == ".py" and ignored_module_reason(path.stem) is None


def dag_files(repository_dir: Path) -> list[Path]:
    """The DAG files of one repository, in a stable order."""
    return sorted(p for p in repository_dir.iterdir() if p.is_file() and is_dag_file(p))


def discover_repositories(dags_dir: Path) -> list[Repository]:
    """Every repository under `dags_dir`; a directory with an invalid name is an error, not skipped."""
    if not dags_dir.is_dir():
        raise FileNotFoundError(f"DAG directory {dags_dir} does not exist")
    repositories = []
    for entry in sorted(dags_dir.iterdir()):
        if not entry.is_dir() or entry.name.startswith((".", "_")):
            continue
        try:
            validate_repository_name(entry.name)
        except InvalidNameError as error:
            raise InvalidNameError(f"{entry}: {error}") from None
        repositories.append(Repository(name=entry.name, path=entry))
    return repositories
