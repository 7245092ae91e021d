"""Session-wide services shared by the whole suite."""

import sys
from collections.abc import Iterator

import pytest

from tests.support.moto_server import MotoServer, running_moto_server

# Tests that hold a worker for minutes run first, so the many short ones fill the other workers' time instead of
# queueing behind them at the end. scripts/check runs `--dist loadgroup`, under which each test is a unit of its
# own handed to the next free worker in this order (modules sharing an expensive fixture share its result through
# tests/support/shared.py instead of xdist_group marks, which pytest 9 ignores).
LONG_FIRST = (
    "tests/molecule/test_scenarios.py::test_scenario[default]",
    "tests/molecule/",
    "tests/network/test_connections.py",
    "tests/iam/",
    "tests/e2e/",
    "tests/image/",
    "tests/roles/",
    "tests/ansible_modules/",
)


def _rank(item: pytest.Item) -> int:
    return next((rank for rank, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix)), len(LONG_FIRST))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_rank)  # stable: the same order on every worker, as xdist requires


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """One moto server for the session; tests that need a clean account call `aws`."""
    with running_moto_server(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def aws(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """An empty AWS account on the moto server, with this test's environment pointed at it."""
    moto_server.reset()
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    return moto_server


@pytest.fixture(autouse=True)
def _restore_dags_package() -> Iterator[None]:
    """Undo a test's in-process repository loads, which point `dags.<repo>` at the directory they loaded.

    Without it a later test in the same worker importing `dags.main.resources` from the checkout would find a
    temporary directory that no longer has it.
    """
    saved = {name: module for name, module in sys.modules.items() if name == "dags" or name.startswith("dags.")}
    yield
    for name in [name for name in sys.modules if name == "dags" or name.startswith("dags.")]:
        if name not in saved:
            del sys.modules[name]
    sys.modules.update(saved)
