"""Start and stop the emulator in the background: `python -m emulator.control start|stop|env --state DIR`.

`start` writes DIR/emulator.json (pid, endpoint, call log) and returns once the emulator answers; `env`
prints the shell exports that point AWS clients at it; `stop` ends it. Molecule's create/destroy playbooks
and `scripts/deploy-local` use this, so there is one way to run the emulator outside pytest.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from emulator.server import CALL_LOG_ENV

REPO_ROOT = Path(__file__).resolve().parents[1]
# Dummy credentials: the emulator accepts any, and they can never reach a real account.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):  # noqa: S310 - loopback emulator
            return True
    except OSError:
        return False


def start(state_dir: Path, port: int | None, region: str) -> dict[str, str | int]:
    """Start the emulator unless the state directory says one is already running."""
    state_dir = state_dir.resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    state_file = state_dir / "emulator.json"
    if state_file.exists():
        state = json.loads(state_file.read_text())
        if _answers(state["endpoint_url"]):
            return state
    port = port or _free_port()
    call_log = state_dir / "calls.jsonl"
    env = {**os.environ, **CREDENTIALS, CALL_LOG_ENV: str(call_log), "PYTHONPATH": str(REPO_ROOT)}
    with (state_dir / "emulator.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator.server", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=REPO_ROOT,
            start_new_session=True,  # outlives the playbook that started it
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not _answers(endpoint):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"emulator did not start; see {state_dir / 'emulator.log'}")
        time.sleep(0.2)
    state = {"pid": process.pid, "endpoint_url": endpoint, "call_log": str(call_log), "region": region}
    state_file.write_text(json.dumps(state, indent=2))
    return state


def stop(state_dir: Path) -> bool:
    """Stop the emulator recorded in the state directory; False if none was running."""
    state_file = state_dir / "emulator.json"
    if not state_file.exists():
        return False
    state = json.loads(state_file.read_text())
    pid = state["pid"]
    try:
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if _reaped(pid):
                break
            os.kill(pid, 0)
            time.sleep(0.1)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    state_file.unlink()
    return True


def _reaped(pid: int) -> bool:
    """True once `pid` has exited, reaping it when it is this process's child (a zombie still answers kill 0)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:  # not our child: kill 0 tells whether it is gone
        return False


def environment(state: dict[str, str | int]) -> dict[str, str]:
    """Variables that point boto3, the AWS CLI and Ansible's AWS modules at the emulator."""
    region = str(state["region"])
    return {**CREDENTIALS, "AWS_ENDPOINT_URL": str(state["endpoint_url"]), "AWS_DEFAULT_REGION": region}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "env"])
    parser.add_argument("--state", type=Path, required=True, help="directory for the emulator's state and logs")
    parser.add_argument("--port", type=int, help="port to listen on (default: a free one)")
    parser.add_argument("--region", default="ap-southeast-2")
    args = parser.parse_args(argv)
    if args.action == "stop":
        print("stopped" if stop(args.state) else "not running")
        return 0
    state = start(args.state, args.port, args.region)
    if args.action == "env":
        for name, value in environment(state).items():
            print(f"export {name}={value}")
    else:
        print(json.dumps(state))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
