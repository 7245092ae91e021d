"""The playbook runner for the project's Ansible modules, against the suite's emulator (every correction applied)."""

from pathlib import Path

import pytest

from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import MotoServer


@pytest.fixture
def playbook(aws: MotoServer, tmp_path: Path) -> PlaybookRunner:
    """Runs tasks through ansible-playbook against this test's empty account; check mode must write nothing."""
    return PlaybookRunner(env=aws.env(), work_dir=tmp_path, server=aws)
