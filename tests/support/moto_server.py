"""moto in server mode, as a separate process on 127.0.0.1: the AWS endpoint of every test."""

from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from emulator import control as emulator_control
from emulator.calls import Call, read_calls

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
    """The emulator on a free loopback port, started and stopped as molecule and scripts/deploy-local do it."""
    state_dir = log_dir / "emulator"
    state = emulator_control.start(state_dir, port=None, region=AWS_TEST_ENV["AWS_REGION"])
    server = MotoServer(
        endpoint_url=str(state["endpoint_url"]),
        log_path=state_dir.resolve() / "emulator.log",
        call_log=Path(str(state["call_log"])),
    )
    try:
        yield server
    finally:
        emulator_control.stop(state_dir.resolve())


def platform_bucket(monkeypatch: pytest.MonkeyPatch, name: str) -> str:
    """Bucket `name` on the emulator the environment points at, and the environment the platform's resources read
    (dagster_ecs.settings: S3_BUCKET, DAGSTER_ECS_ENVIRONMENT) pointed at it."""
    boto3.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    monkeypatch.setenv("DAGSTER_ECS_ENVIRONMENT", "dev")
    monkeypatch.setenv("S3_BUCKET", name)
    return name
