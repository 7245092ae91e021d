"""dagster_ecs.aws.ecr_login run through PlaybookRunner against the emulator.

No ECR registry can be reached here, so the client it logs in with is a stand-in script that records how it was
called: what matters is that the token from GetAuthorizationToken is decoded and that its password reaches the
client on standard input only, never on its command line or in the module's result.
"""

import json
import stat
from pathlib import Path

import pytest

from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import MotoServer

ACCOUNT = "123456789012"
# moto's token: base64("AWS:<account>-auth-token"); ECR's is base64("AWS:<opaque password>").
PASSWORD = f"{ACCOUNT}-auth-token"
REGISTRY = f"{ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com"

CLIENT = """#!/bin/sh
# Records its arguments and standard input, as `podman login --password-stdin` would read them.
python3 -c 'import json, sys; json.dump(sys.argv[1:], open(sys.argv[1], "w"))' "{record}.argv" "$@"
cat > "{record}.stdin"
exit {exit_code}
"""
FAILING_CLIENT = """#!/bin/sh
read password
echo "login refused for $password" >&2
exit 1
"""


def client(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "container-client"
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def recorder(tmp_path: Path) -> tuple[Path, Path]:
    record = tmp_path / "login"
    return client(tmp_path, CLIENT.format(record=record, exit_code=0)), record


def test_the_password_goes_to_the_client_on_stdin_only(
    playbook: PlaybookRunner, aws: MotoServer, recorder: tuple[Path, Path]
) -> None:
    executable, record = recorder
    writes_before = playbook.write_count()
    result = playbook.module("dagster_ecs.aws.ecr_login", executable=str(executable))
    argv = json.loads(Path(f"{record}.argv").read_text())
    assert argv[1:] == ["login", "--username", "AWS", "--password-stdin", REGISTRY]
    assert Path(f"{record}.stdin").read_text().strip() == PASSWORD
    assert result["registry"] == REGISTRY
    assert result["username"] == "AWS"
    assert PASSWORD not in json.dumps(result)
    assert playbook.writes()[writes_before:] == [], "GetAuthorizationToken writes nothing"


def test_check_mode_reads_the_token_and_logs_nobody_in(
    playbook: PlaybookRunner, aws: MotoServer, recorder: tuple[Path, Path]
) -> None:
    executable, record = recorder
    result = playbook.module("dagster_ecs.aws.ecr_login", check=True, executable=str(executable))
    assert result["registry"] == REGISTRY
    assert not Path(f"{record}.argv").exists()


def test_a_refused_login_fails_without_showing_the_password(
    playbook: PlaybookRunner, aws: MotoServer, tmp_path: Path
) -> None:
    executable = client(tmp_path, FAILING_CLIENT)
    result = playbook.module("dagster_ecs.aws.ecr_login", ignore_errors=True, executable=str(executable))
    assert result["failed"] is True
    assert REGISTRY in result["msg"]
    assert "login refused" in result["msg"]
    assert PASSWORD not in json.dumps(result)


def test_a_missing_client_is_named(playbook: PlaybookRunner, aws: MotoServer) -> None:
    result = playbook.module("dagster_ecs.aws.ecr_login", ignore_errors=True, executable="no-such-container-client")
    assert result["failed"] is True
    assert "no-such-container-client" in result["msg"]
