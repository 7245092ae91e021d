"""Fixtures for the project's Ansible modules: a moto server with EFS corrected, and a playbook runner."""

import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import AWS_TEST_ENV
from tests.support.ports import free_port, http_ok, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]
# The werkzeug access log line of one request: `"PUT /2015-02-01/file-systems/fs-1/policy HTTP/1.1" 200`.
REQUEST_LINE = re.compile(r'"(?P<method>[A-Z]+) (?P<path>/\S*) HTTP/[0-9.]+"')
EFS_PATH_PREFIX = "/2015-02-01/"
# werkzeug colours the request line of non-200 answers (201, 204, 4xx): strip the escape codes first.
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class EfsMotoServer:
    """moto server with moto_efs_patches applied; env() and reset() as tests.support.moto_server.MotoServer."""

    endpoint_url: str
    log_path: Path

    def env(self) -> dict[str, str]:
        return {**AWS_TEST_ENV, "AWS_ENDPOINT_URL": self.endpoint_url}

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def efs_requests(self) -> list[tuple[str, str]]:
        """(method, path) of every EFS API request answered so far, from the server's access log."""
        requests = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            match = REQUEST_LINE.search(ANSI_ESCAPE.sub("", line))
            if match and match["path"].startswith(EFS_PATH_PREFIX):
                requests.append((match["method"], match["path"]))
        return requests


@contextmanager
def running_patched_moto_server(log_dir: Path) -> Generator[EfsMotoServer]:
    """Start moto server with moto_efs_patches applied on a free loopback port; stop it afterwards."""
    port = free_port()
    log_path = log_dir / f"moto-efs-{port}.log"
    # No MOTO_IAM_LOAD_MANAGED_POLICIES, unlike the suite's server: EFS needs none, and loading them slows reset.
    env = {**os.environ, **AWS_TEST_ENV}
    command = [sys.executable, "-m", "tests.ansible_modules.patched_moto_server", "-H", "127.0.0.1", "-p", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    server = EfsMotoServer(endpoint_url=f"http://127.0.0.1:{port}", log_path=log_path)
    try:
        wait_until(lambda: http_ok(f"{server.endpoint_url}/moto-api/"), 30, "patched moto server")
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Generator[EfsMotoServer]:
    """Overrides the suite's moto server for these tests: moto's EFS needs the corrections in moto_efs_patches."""
    with running_patched_moto_server(tmp_path_factory.mktemp("moto-efs")) as server:
        yield server


@pytest.fixture
def playbook(aws: EfsMotoServer, tmp_path: Path) -> PlaybookRunner:
    """Runs tasks through ansible-playbook against the empty moto account of this test.

    Every run also checks that tasks in check mode made no EFS write request (see PlaybookRunner.run).
    """
    return PlaybookRunner(env=aws.env(), work_dir=tmp_path, efs_requests=aws.efs_requests)
