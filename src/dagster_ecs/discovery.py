"""Finding repositories under dags/ and the DAG files inside each one."""

from dataclasses import dataclass
from pathlib import Path

from dagster_ecs.names import InvalidNameError, validate_repository_name


@dataclass(frozen=True)
class Repository:
    name: str
    path: Path


def is_dag_file(path: Path) -> bool:
    """DAG files are a repository's top-level modules; private modules and tests are not."""
    name = path.name
    return (
        path.suffix == ".py"
        and not name.startswith(("_", ".", "test_"))
        and not name.endswith("_test.py")
        and name != "conftest.py"
    )


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
