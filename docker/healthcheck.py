"""The image's HEALTHCHECK: is the Dagster server this container runs answering?

One image runs every server, so the check reads the server's own command line (the container's main
process, or the first Dagster process when an init process runs first) and checks what that server offers:

- dagster-webserver: GET <path prefix>/server_info on its port answers 200.
- dagster code-server / dagster api grpc: its gRPC port accepts a connection.
- dagster-daemon (or anything else): the process is alive.

Exit 0 when healthy, 1 with a one-line reason otherwise. Standard library only, so it costs a few
milliseconds rather than a Dagster import.
"""

import os
import socket
import sys
import urllib.request
from collections.abc import Sequence
from pathlib import Path

TIMEOUT_SECONDS = 5
WEBSERVER_DEFAULT_PORT = 3000
CODE_SERVER_DEFAULT_PORT = 4000
# Executables whose process is the server (`python /venv/bin/dagster-webserver ...` has it as its 2nd word).
SERVERS = {"dagster", "dagster-webserver", "dagster-daemon"}


def server_command() -> list[str]:
    """The command line of the Dagster server in this container (PID 1 unless an init runs first)."""
    candidates = [Path("/proc/1/cmdline")]
    candidates += sorted(Path("/proc").glob("[0-9]*/cmdline"), key=lambda path: int(path.parent.name))
    for path in candidates:
        try:
            args = [part.decode() for part in path.read_bytes().split(b"\0") if part]
        except OSError:
            continue
        if path.parent.name != str(os.getpid()) and any(Path(arg).name in SERVERS for arg in args[:3]):
            return args
    return []


def option(args: Sequence[str], names: Sequence[str], default: str) -> str:
    """The value of `--port 3000` / `-p 3000` / `--port=3000` in `args`."""
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(f"{name}="):
                return arg.split("=", 1)[1]
    return default


def check(args: Sequence[str]) -> str | None:
    """None when the server is healthy, else why not."""
    joined = " ".join(args)
    if "dagster-webserver" in joined:
        port = int(option(args, ("--port", "-p"), str(WEBSERVER_DEFAULT_PORT)))
        prefix = option(args, ("--path-prefix", "-l"), "")
        url = f"http://127.0.0.1:{port}{prefix}/server_info"
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
                return None if response.status == 200 else f"{url} answered {response.status}"
        except OSError as error:
            return f"{url}: {error}"
    if "code-server" in joined or "api grpc" in joined:
        port = int(option(args, ("--port", "-p"), str(CODE_SERVER_DEFAULT_PORT)))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_SECONDS):
                return None
        except OSError as error:
            return f"code server port {port}: {error}"
    if not args:
        return "no Dagster process is running"
    return None


def main() -> int:
    problem = check(server_command())
    if problem:
        print(f"unhealthy: {problem}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
