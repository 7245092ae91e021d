"""A record of every API call the emulator answers: which service, which action, read or write.

Check mode and idempotence are proven by counting write calls, and the benchmark reports calls by action.
"""

import json
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

READ_PREFIXES = ("Describe", "List", "Get", "Head", "Search", "Lookup", "Check", "Validate", "Discover", "Batch Get")
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_ID = re.compile(r"/(?:fs|fsap|fsmt)-[0-9a-f]+|/[0-9a-f]{8,}|/arn:[^/]+")


@dataclass(frozen=True)
class Call:
    service: str
    action: str
    write: bool

    def to_json(self) -> str:
        return json.dumps({"service": self.service, "action": self.action, "write": self.write})


def is_read_action(action: str) -> bool:
    return action.startswith(READ_PREFIXES)


def classify(environ: dict[str, Any], body: bytes) -> Call | None:
    """The call a WSGI request makes, or None for the emulator's own endpoints."""
    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api"):
        return None
    scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
    service = scope.group(1) if scope else "unknown"
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:  # JSON protocol: ECS, CloudWatch Logs, ECR, Secrets Manager, Cloud Map, ...
        action = target.rsplit(".", 1)[-1]
        return Call(service, action, not is_read_action(action))
    params = parse_qs(environ.get("QUERY_STRING", ""))
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        params.update(parse_qs(body.decode(errors="replace")))
    if "Action" in params:  # query protocol: EC2, IAM, RDS, ELBv2, STS, ...
        action = params["Action"][0]
        return Call(service, action, not is_read_action(action))
    method = environ.get("REQUEST_METHOD", "GET")  # REST protocol: S3, EFS, ...
    subresource = "&".join(sorted(k for k in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)))
    action = f"{method} {_ID.sub('/{id}', path)}" + (f"?{subresource}" if subresource else "")
    return Call(service, action, method not in ("GET", "HEAD"))


class CallRecorder:
    """WSGI middleware appending one JSON line per API call to `log_path`."""

    def __init__(self, app: Callable[..., Iterable[bytes]], log_path: Path) -> None:
        self.app = app
        self.log_path = log_path
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        import io

        environ["wsgi.input"] = io.BytesIO(body)
        call = classify(environ, body)
        if call is not None:
            with self.lock, self.log_path.open("a") as log:
                log.write(call.to_json() + "\n")
        return self.app(environ, start_response)


def read_calls(log_path: Path) -> list[Call]:
    """Every call recorded in `log_path` so far."""
    if not log_path.exists():
        return []
    return [Call(**json.loads(line)) for line in log_path.read_text().splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    """`python -m emulator.calls LOG`: print {"reads": n, "writes": n, "write_actions": [...]} for the log."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("log", type=Path)
    parser.add_argument("--since", type=int, default=0, help="skip this many calls first")
    args = parser.parse_args(argv)
    calls = read_calls(args.log)[args.since :]
    writes = [f"{c.service}:{c.action}" for c in calls if c.write]
    print(
        json.dumps(
            {"total": len(calls), "reads": len(calls) - len(writes), "writes": len(writes), "write_actions": writes}
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
