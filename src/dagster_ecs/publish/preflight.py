"""Pre-flight: load a repository from its source directory in a separate process before it is published.

    python -m dagster_ecs.publish.preflight REPOSITORY SOURCE OUTPUT_JSON

The child loads the repository through the code servers' own loader (`dagster_ecs.location.load_repository`),
leaving out files that would not be published, and resolves its Definitions as a code server does. A separate
process, because DAG files run arbitrary code at import and a broken one must not take the publisher with it,
and because each load must see the files as they are now, not modules cached by an earlier load.
"""

import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster_ecs.names import validate_repository_name
from dagster_ecs.publish.errors import PreflightError

__all__ = ["LoadedDefinitions", "PreflightError", "preflight"]

MODULE = "dagster_ecs.publish.preflight"
OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class LoadedDefinitions:
    """What a repository defines, as the webserver lists it: asset keys ("a/b") and job names."""

    asset_keys: tuple[str, ...]
    job_names: tuple[str, ...]

    def to_dict(self) -> dict[str, list[str]]:
        return {"asset_keys": list(self.asset_keys), "job_names": list(self.job_names)}

    @classmethod
    def of(cls, asset_keys: Sequence[str], job_names: Sequence[str]) -> "LoadedDefinitions":
        """Sorted, and without Dagster's hidden jobs (`__ASSET_JOB`), so two listings compare equal."""
        return cls(tuple(sorted(set(asset_keys))), tuple(sorted({j for j in job_names if not j.startswith("__")})))


def preflight(source: Path, repository: str, timeout: float = 300.0) -> LoadedDefinitions:
    """Load `repository` from `source` in a new Python process; PreflightError naming the failing file."""
    validate_repository_name(repository)
    if not source.is_dir():
        raise PreflightError(f"{source} is not a directory")
    with tempfile.TemporaryDirectory(prefix="dagster-ecs-preflight-") as scratch:
        output = Path(scratch) / "result.json"
        command = [sys.executable, "-m", MODULE, repository, str(source.resolve()), str(output)]
        # No bytecode: the child must not leave __pycache__ in the operator's source tree.
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            finished = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise PreflightError(
                f"repository {repository!r} ({source}) did not finish loading within {timeout:.0f}s; a DAG file "
                "may block at import (network call, infinite loop)"
            ) from None
        if not output.exists():
            raise PreflightError(
                f"repository {repository!r} ({source}): the loading process exited with {finished.returncode} "
                f"without a result:\n{(finished.stderr or finished.stdout)[-OUTPUT_TAIL:]}"
            )
        result = json.loads(output.read_text())
    if "error" in result:
        raise PreflightError(f"repository {repository!r} failed to load: {result['error']}")
    return LoadedDefinitions.of(result["asset_keys"], result["job_names"])


# --- the child process ---------------------------------------------------------------------------------------


def load_definitions(repository: str, source: Path) -> LoadedDefinitions:
    """In this process: load `source` as the code server would load its published copy."""
    from dagster_ecs.location import load_repository
    from dagster_ecs.publish.manifest import published_files

    published = {relative for relative, _ in published_files(source)}
    defs = load_repository(repository, source, include=lambda p: p.relative_to(source).as_posix() in published)
    _refuse_unpublished_imports(source, published)
    repository_def = defs.get_repository_def()
    keys = [key.to_user_string() for key in repository_def.asset_graph.get_all_asset_keys()]
    return LoadedDefinitions.of(keys, list(repository_def.job_names))


def _refuse_unpublished_imports(source: Path, published: set[str]) -> None:
    """A module that imports an excluded file loads here but would fail on the code server: say so now."""
    for module in list(sys.modules.values()):
        filename = getattr(module, "__file__", None)
        if not filename:
            continue
        path = Path(filename).resolve()
        if path.is_relative_to(source) and path.relative_to(source).as_posix() not in published:
            raise PreflightError(
                f"{path}: imported while loading, but not published (tests, dot-files and .dagsterignore entries "
                "are left out); the code server would fail to import it"
            )


def describe_failure(error: BaseException, source: Path) -> str:
    """`<file>, line <n>: <Type>: <message>` for the innermost error raised in a file under `source`.

    When that file is not the DAG file being loaded (a helper it imports), the DAG file is named too.
    """
    root = error.__cause__ if error.__cause__ is not None else error
    if isinstance(root, SyntaxError) and root.filename:
        code = f": {root.text.strip()}" if root.text and root.text.strip() else ""
        failing, line, detail = root.filename, root.lineno, f"{type(root).__name__}: {root.msg}{code}"
    else:
        frames = [
            f for f in traceback.extract_tb(root.__traceback__) if Path(f.filename).resolve().is_relative_to(source)
        ]
        if not frames:
            # Not raised in a file of the repository (e.g. Definitions that do not resolve): the message names it.
            return str(error) if root is not error else f"{type(root).__name__}: {root}"
        failing, line, detail = frames[-1].filename, frames[-1].lineno, f"{type(root).__name__}: {root}"
    dag_file = getattr(error, "path", None)
    importer = f" (while loading {dag_file})" if dag_file and dag_file != failing else ""
    return f"{failing}, line {line}: {detail}{importer}"


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 3:
        print(f"usage: python -m {MODULE} REPOSITORY SOURCE OUTPUT_JSON", file=sys.stderr)
        return 2
    repository, source, output = args[0], Path(args[1]).resolve(), Path(args[2])
    sys.dont_write_bytecode = True
    result: dict[str, Any]
    try:
        result = load_definitions(repository, source).to_dict()
    except PreflightError as error:
        result = {"error": str(error)}
    except Exception as error:
        result = {"error": describe_failure(error, source)}
    output.write_text(json.dumps(result))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
