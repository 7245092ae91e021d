"""moto in server mode, as a separate process on 127.0.0.1: the AWS endpoint of every test."""

import os
import subprocess
import sys
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from emulator.calls import Call, read_calls
from emulator.server import CALL_LOG_ENV
from tests.support.ports import free_port, http_ok, stop_process, wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]

# Dummy credentials: moto accepts any, and nothing must ever reach a real account.
AWS_TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-2",
    "AWS_REGION": "ap-southeast-2",
}


@dataclass(frozen=True)
class MotoServer:
    endpoint_url: str
    log_path: Path
    call_log: Path

    def calls(self) -> list[Call]:
        """Every API call the server has answered, in order (see emulator.calls)."""
        return read_calls(self.call_log)

    def env(self) -> dict[str, str]:
        """Environment that points boto3 (and so Ansible's AWS modules) at this server."""
        return {**AWS_TEST_ENV, "AWS_ENDPOINT_URL": self.endpoint_url}

    def reset(self) -> None:
        """Drop every resource, so each test starts from an empty account."""
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass


@contextmanager
def running_moto_server(log_dir: Path) -> Generator[MotoServer]:
    """Start `moto_server` on a free loopback port and stop it afterwards."""
    port = free_port()
    log_path = log_dir / f"moto-{port}.log"
    call_log = log_dir / f"calls-{port}.jsonl"
    env = {**os.environ, **AWS_TEST_ENV, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true", CALL_LOG_ENV: str(call_log)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator.server", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO_ROOT,
        )
    server = MotoServer(endpoint_url=f"http://127.0.0.1:{port}", log_path=log_path, call_log=call_log)
    try:
        wait_until(lambda: http_ok(f"{server.endpoint_url}/moto-api/"), 30, "moto server")
        yield server
    finally:
        stop_process(process)


def platform_bucket(monkeypatch: pytest.MonkeyPatch, name: str) -> str:
    """Bucket `name` on the emulator the environment points at, and the environment the platform's resources read
    (dagster_ecs.settings: S3_BUCKET, DAGSTER_ECS_ENVIRONMENT) pointed at it."""
    boto3.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    monkeypatch.setenv("DAGSTER_ECS_ENVIRONMENT", "dev")
    monkeypatch.setenv("S3_BUCKET", name)
    return name
