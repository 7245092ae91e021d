"""A throwaway container registry: Debian's `docker-registry serve CONFIG` on a free loopback port, its storage in a
temp directory, stopped afterwards. Plain HTTP, no authentication (clients push with --tls-verify=false).

The registry's access log is kept, so a test can tell which requests a run made (a push shows up as PUT
requests, a skipped push as none) without timing anything.
"""

import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.ports import free_port, http_ok, stop_process, wait_until

REGISTRY_BINARY = "docker-registry"
# What a client accepts when it asks for a manifest: single images and indexes, Docker's and OCI's.
MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
    ]
)
# One "response completed" line per request; logfmt quotes a value only when it needs to.
_REQUEST = re.compile(
    r'http\.request\.method=(?P<method>[A-Z]+) .*?http\.request\.uri=(?:"(?P<quoted>[^"]+)"|(?P<bare>\S+))'
)

CONFIG = """\
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:{port}
"""


class RegistryUnavailableError(RuntimeError):
    """docker-registry is not installed or did not start; the message says what to do."""


@dataclass(frozen=True)
class Request:
    method: str
    uri: str


@dataclass(frozen=True)
class LocalRegistry:
    host: str  # host:port, as it appears in an image reference
    storage: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def tags(self, repository: str) -> list[str]:
        """The repository's tags from the registry's HTTP API (/v2/<name>/tags/list); [] when it has none."""
        try:
            with urllib.request.urlopen(f"{self.url}/v2/{repository}/tags/list", timeout=10) as response:
                return sorted(json.load(response).get("tags") or [])
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise

    def manifest_digest(self, repository: str, tag: str) -> str | None:
        """The digest the registry serves for `repository:tag`, or None when the tag does not exist."""
        request = urllib.request.Request(
            f"{self.url}/v2/{repository}/manifests/{tag}", method="HEAD", headers={"Accept": MANIFEST_TYPES}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.headers["Docker-Content-Digest"]
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    def requests(self) -> list[Request]:
        """Every request the registry has logged so far, in order."""
        return [
            Request(match["method"], match["quoted"] or match["bare"])
            for match in map(_REQUEST.search, self.log_path.read_text(errors="replace").splitlines())
            if match
        ]

    def writes(self, since: int = 0) -> list[Request]:
        """The requests after the first `since` that change the registry (uploads, manifests, deletes)."""
        return [request for request in self.requests()[since:] if request.method in {"POST", "PUT", "PATCH", "DELETE"}]

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


@contextmanager
def running_registry(work_dir: Path) -> Generator[LocalRegistry]:
    """docker-registry on 127.0.0.1:<free port> with storage under `work_dir`; stopped (and waited for) after."""
    binary = shutil.which(REGISTRY_BINARY)
    if binary is None:
        raise RegistryUnavailableError("docker-registry is not installed: apt-get install docker-registry (.ci/run)")
    port = free_port()
    storage = work_dir / "registry-storage"
    storage.mkdir(parents=True, exist_ok=True)
    config = work_dir / "registry.yml"
    config.write_text(CONFIG.format(root=storage, port=port))
    log_path = work_dir / "registry.log"
    registry = LocalRegistry(host=f"127.0.0.1:{port}", storage=storage, log_path=log_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen([binary, "serve", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        try:
            wait_until(lambda: http_ok(f"{registry.url}/v2/") or process.poll() is not None, 30, "docker-registry")
        except TimeoutError as error:
            raise RegistryUnavailableError(f"docker-registry did not answer:\n{registry.log_tail()}") from error
        if process.poll() is not None:
            raise RegistryUnavailableError(f"docker-registry exited ({process.returncode}):\n{registry.log_tail()}")
        yield registry
    finally:
        stop_process(process)
