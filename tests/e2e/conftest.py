"""Fixtures of the end-to-end tests: a real PostgreSQL server and the repository's own dags/."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import PostgresServer, running_postgres

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    """A fresh PostgreSQL server for one test; fails (never skips) when the server binaries are missing."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def dags_dir() -> Path:
    """The real dags/ directory of this checkout."""
    path = REPO_ROOT / "dags"
    assert path.is_dir(), f"{path} is missing"
    return path
