"""docker/healthcheck.py: healthy only when the server its container runs answers."""

import http.server
import importlib.util
import socket
import threading
from collections.abc import Generator
from types import ModuleType

import pytest

from tests.support.podman import REPO_ROOT
from tests.support.ports import free_port


def load_healthcheck() -> ModuleType:
    spec = importlib.util.spec_from_file_location("healthcheck", REPO_ROOT / "docker" / "healthcheck.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


healthcheck = load_healthcheck()


class ServerInfo(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path.endswith("/server_info") else 404)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def webserver() -> Generator[int]:
    server = http.server.HTTPServer(("127.0.0.1", 0), ServerInfo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_webserver_is_healthy_when_server_info_answers(webserver: int) -> None:
    command = ["/venv/bin/python", "/venv/bin/dagster-webserver", "-h", "127.0.0.1", "-p", str(webserver)]
    assert healthcheck.check(command) is None
    assert healthcheck.check([*command[:-2], f"--port={webserver}", "--path-prefix", "/dagster"]) is None


def test_webserver_is_unhealthy_when_nothing_listens() -> None:
    problem = healthcheck.check(["python", "/venv/bin/dagster-webserver", "-p", str(free_port())])
    assert problem is not None
    assert "/server_info" in problem


def test_code_server_is_healthy_when_its_port_accepts() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert healthcheck.check(["python", "/venv/bin/dagster", "code-server", "start", "--port", str(port)]) is None
    problem = healthcheck.check(["python", "/venv/bin/dagster", "code-server", "start", "--port", str(port)])
    assert problem is not None
    assert str(port) in problem


def test_daemon_is_healthy_while_it_runs_and_no_server_is_not() -> None:
    assert healthcheck.check(["python", "/venv/bin/dagster-daemon", "run", "-w", "workspace.yaml"]) is None
    assert healthcheck.check([]) == "no Dagster process is running"
