"""new-repo / new-dag: start a repository or a DAG file from the template, every name replaced."""

import ast
import os
import secrets
import shutil
from pathlib import Path

from dagster_ecs.discovery import discover_repositories, ignored_module_reason
from dagster_ecs.names import InvalidNameError, validate_dag_name, validate_repository_name

TEMPLATE_NAME = "template"
TEMPLATE_RELATIVE_PATH = Path("main") / "template_dag.py"


class ScaffoldError(ValueError):
    """The scaffold would overwrite something or the template is unusable; nothing was written."""


def render_dag(template: str, dag_name: str) -> str:
    """The template's text with its name replaced; the result must still be valid Python."""
    validate_dag_name(dag_name)
    text = template.replace(TEMPLATE_NAME, dag_name).replace(TEMPLATE_NAME.capitalize(), dag_name.capitalize())
    try:
        ast.parse(text)
    except SyntaxError as error:
        raise ScaffoldError(f"the template does not render to valid Python for {dag_name!r}: {error}") from None
    return text


def new_dag(dags_dir: Path, repository: str, dag_name: str, template: Path | None = None) -> Path:
    """Create dags/<repository>/<dag_name>.py from the template; returns its path."""
    validate_repository_name(repository)
    directory = dags_dir / repository
    if not directory.is_dir():
        raise ScaffoldError(f"repository {repository!r} does not exist at {directory}: create it with new-repo")
    _ensure_dag_name_free(dags_dir, dag_name)
    text = render_dag(_read_template(dags_dir, template), dag_name)
    target = directory / f"{dag_name}.py"
    tmp = directory / f".{dag_name}.{secrets.token_hex(8)}.tmp"
    # os.open with 0o666 lets the umask decide, unlike mkstemp's 0o600: the compose bind mount serves the file
    # to the image's uid 10001, which must be able to read it.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.link(tmp, target)  # fails if the target appeared meanwhile: never overwrite a DAG
    except FileExistsError:
        raise ScaffoldError(f"{target} already exists") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def new_repo(dags_dir: Path, repository: str, dag_name: str | None = None, template: Path | None = None) -> Path:
    """Create dags/<repository>/ holding a first DAG from the template; returns the DAG file's path."""
    validate_repository_name(repository)
    dag_name = dag_name or repository.replace("-", "_")
    target = dags_dir / repository
    if target.exists():
        raise ScaffoldError(f"{target} already exists")
    _ensure_dag_name_free(dags_dir, dag_name)
    text = render_dag(_read_template(dags_dir, template), dag_name)
    staging = dags_dir / f".{repository}.{secrets.token_hex(8)}"
    staging.mkdir()  # mode 0o777 less the umask, unlike mkdtemp's 0o700 (see new_dag)
    try:
        (staging / f"{dag_name}.py").write_text(text)
        if target.exists():
            raise ScaffoldError(f"{target} already exists")
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target / f"{dag_name}.py"


def _read_template(dags_dir: Path, template: Path | None) -> str:
    path = template or dags_dir / TEMPLATE_RELATIVE_PATH
    try:
        return path.read_text()
    except FileNotFoundError:
        raise ScaffoldError(
            f"template {path} not found: pass --template or restore dags/main/template_dag.py"
        ) from None


def _ensure_dag_name_free(dags_dir: Path, dag_name: str) -> None:
    """DAG names key assets (repos/<dag>/...) across every location, so one name is used once."""
    validate_dag_name(dag_name)
    if dag_name == TEMPLATE_NAME:
        raise InvalidNameError(f"DAG name {dag_name!r} is the template's own name: choose another")
    reason = ignored_module_reason(dag_name)
    if reason is not None:
        raise InvalidNameError(f"DAG name {dag_name!r} would never be loaded: {reason}; choose another name")
    for repository in discover_repositories(dags_dir):
        existing = repository.path / f"{dag_name}.py"
        if existing.exists():
            raise ScaffoldError(f"DAG name {dag_name!r} is already used by {existing}")
