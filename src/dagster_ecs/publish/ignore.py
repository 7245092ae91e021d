"""Which files of a DAG repository are published: everything except caches, tests, dotfiles and `.dagsterignore`.

`.dagsterignore` at the repository's top level uses gitignore syntax (through pathspec). The always-excluded
set applies first and cannot be re-included by the ignore file: tests and caches never reach a code server,
and dot-names are reserved for the release layout (`.manifest.json`, `.staging-*`, `.lock`).
"""

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pathspec

IGNORE_FILE = ".dagsterignore"
# The always-excluded set in gitignore syntax; `_always_excluded` is the same rule written out, because
# importing pathspec costs more than the rest of a no-op publish (a test checks that the two agree).
ALWAYS_EXCLUDED = (
    "__pycache__/",
    "*.pyc",
    "tests/",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    ".*",
)


def load_ignore_rules(source: Path) -> "pathspec.GitIgnoreSpec | None":
    """The rules of `source`/.dagsterignore, or None when the repository has no ignore file."""
    path = source / IGNORE_FILE
    if not path.is_file():
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(path.read_text(encoding="utf-8").splitlines())


def is_excluded(relative_path: str, rules: "pathspec.GitIgnoreSpec | None" = None) -> bool:
    """Whether `relative_path` (POSIX, relative to the repository; directories end with '/') is left out.

    A file below an excluded directory is excluded too, as in git: the walk never enters such a directory.
    """
    if _always_excluded(relative_path):
        return True
    return rules is not None and rules.match_file(relative_path)


def _always_excluded(relative_path: str) -> bool:
    is_dir = relative_path.endswith("/")
    parts = relative_path.rstrip("/").split("/")
    # `__pycache__/` and `tests/` name directories only; the other patterns match files and directories alike.
    if any(part in ("__pycache__", "tests") for part in (parts if is_dir else parts[:-1])):
        return True
    return any(_excluded_name(part) for part in parts)


def _excluded_name(name: str) -> bool:
    return (
        name.startswith(".")
        or name.endswith(".pyc")
        or name == "conftest.py"
        or (name.startswith("test_") and name.endswith(".py"))
        or name.endswith("_test.py")
    )
