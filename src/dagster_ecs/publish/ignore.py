"""Which files of a DAG repository are published: everything except caches, tests, dotfiles and `.dagsterignore`.

`.dagsterignore` at the repository's top level uses gitignore syntax (through pathspec). The always-excluded
set applies first and cannot be re-included by the ignore file: tests and caches never reach a code server,
and dot-names are reserved for the release layout (`.manifest.json`, `.staging-*`, `.lock`).
"""

from pathlib import Path

import pathspec

IGNORE_FILE = ".dagsterignore"
ALWAYS_EXCLUDED = (
    "__pycache__/",
    "*.pyc",
    "tests/",
    "test_*.py",
    "*_test.py",
    "conftest.py",
    ".*",
)

_ALWAYS = pathspec.GitIgnoreSpec.from_lines(ALWAYS_EXCLUDED)


def load_ignore_rules(source: Path) -> pathspec.GitIgnoreSpec | None:
    """The rules of `source`/.dagsterignore, or None when the repository has no ignore file."""
    path = source / IGNORE_FILE
    if not path.is_file():
        return None
    return pathspec.GitIgnoreSpec.from_lines(path.read_text(encoding="utf-8").splitlines())


def is_excluded(relative_path: str, rules: pathspec.GitIgnoreSpec | None = None) -> bool:
    """Whether `relative_path` (POSIX, relative to the repository; directories end with '/') is left out.

    A file below an excluded directory is excluded too, as in git: the walk never enters such a directory.
    """
    if _ALWAYS.match_file(relative_path):
        return True
    return rules is not None and rules.match_file(relative_path)
