"""A value computed once per test session, whichever xdist worker asks first; the others read it.

For module fixtures that deploy to the emulator and read plain data back (security groups, policies): under
`-n auto` every worker that runs one of the module's tests would otherwise deploy again. (xdist_group marks would
keep such a module on one worker, but pytest-xdist 3.8 sets `item._nodeid`, which pytest 9 no longer reads, so
`--dist loadgroup` ignores them.)
"""

import os
import pickle
from collections.abc import Callable

import pytest
from filelock import FileLock


def computed_once[T](tmp_path_factory: pytest.TempPathFactory, name: str, compute: Callable[[], T]) -> T:
    """`compute()` for the first caller of the session; its pickled result for every other worker."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return compute()
    shared = tmp_path_factory.getbasetemp().parent  # the session's directory, above each worker's own
    result = shared / f"{name}.pickle"
    with FileLock(str(shared / f"{name}.lock")):
        if result.exists():
            return pickle.loads(result.read_bytes())  # noqa: S301 - written by this session's own workers
        value = compute()
        result.write_bytes(pickle.dumps(value))
        return value
