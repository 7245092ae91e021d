"""The playbook runner for the project's Ansible modules, against an emulator of their own (every correction
applied, AWS's managed IAM policies not loaded)."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest

from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import MotoServer, running_moto_server


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    """This directory's emulator (the `aws` fixture resets it before each test), without AWS's managed policies.

    The suite's emulator loads every AWS-managed IAM policy into each new account (roles attach them), which
    costs about 1.5 s after every reset: the reset, then the account's first call. No module test attaches a
    managed policy, so these tests share one emulator per worker that does not load them.
    """
    with contextlib.ExitStack() as stack:
        with mock.patch.dict(os.environ, {"MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}):  # read when it starts
            server = stack.enter_context(running_moto_server(tmp_path_factory.mktemp("moto-modules")))
        yield server


@pytest.fixture
def playbook(aws: MotoServer, tmp_path: Path) -> PlaybookRunner:
    """Runs tasks against this test's empty account (see playbook.py); check mode must write nothing."""
    return PlaybookRunner(env=aws.env(), work_dir=tmp_path, server=aws)
