"""podman for the test suite: a private configuration, cached base images, the project image, containers.

No Docker engine runs here and no registry can be reached (see docs/images.md), so the tests build and run
images with rootful podman under a configuration of their own: runc, cgroupfs, lowered ulimits, host
networking by default, and storage in a cache directory outside the checkout. Nothing outside that
directory (and a run directory under /tmp) is changed; the machine's /etc/containers is never read for
anything that matters, because every setting the tests rely on is written here.

Public API (other tests and helpers use this; keep it stable):

    host = configure_podman()            # PodmanHost: writes the config files once, idempotent
    host.env()                           # os.environ + CONTAINERS_CONF, CONTAINERS_STORAGE_CONF,
                                         #   CONTAINERS_REGISTRIES_CONF, TMPDIR, BUILDAH_ISOLATION=chroot,
                                         #   BUILDAH_FORMAT=docker: give it to any podman, podman-compose
                                         #   or ansible-playbook subprocess (a plain `podman build` then works)
    host.podman("images", "-q")          # run podman with that environment (check=True, text output)
    ensure_base_image(host)              # the local stand-in for python:3.12-slim (built once, cached)
    image = build_project_image(host)    # BuiltImage(name, id, size_bytes, seconds) from docker/Dockerfile
    build_secret_args()                  # ["--secret", "id=ca_bundle,src=<host CA bundle>"] or []
    with running_container(host, image.id, [...]) as container: ...   # removed afterwards, even on failure
    remove_containers(host, label)       # every container carrying a label, forcibly

Fixtures (session scoped; import them into a conftest.py to use them): `podman_host` and `project_image`.
The project image is built once per test session; concurrent pytest-xdist workers and concurrent sessions
serialize on a file lock, and the rebuild of an unchanged tree is a layer-cache hit.

The cache directory is $DAGSTER_ECS_PODMAN_CACHE, else $XDG_CACHE_HOME/dagster-ecs/podman, else
~/.cache/dagster-ecs/podman. Delete it to start from nothing (the next run rebuilds the base image).
"""

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"
# What `FROM ${BASE_IMAGE}` resolves to by default, fully qualified as a `docker pull` would store it.
BASE_IMAGE = "docker.io/library/python:3.12-slim"
PROJECT_IMAGE_REPOSITORY = "localhost/dagster-ecs"
CA_SECRET_ID = "ca_bundle"
# The label every container started through this module carries, so a cleanup can find them all.
TEST_LABEL = "dagster-ecs.test"
# Build-time limits: the base image needs a Debian download, the project image a PyPI download.
BUILD_TIMEOUT = 1200
COMMAND_TIMEOUT = 300
STALE_LAYER_AGE = "24h"
STALE_SECONDS = 24 * 3600
# What the build reads: docker/ and the paths the allow-list .dockerignore lets into the context.
CONTEXT_INPUTS = ("docker", ".dockerignore", "pyproject.toml", "uv.lock", "README.md", "src")

_CONTAINERS_CONF = """\
# Written by tests/support/podman.py: settings measured to work on the project's machines (docs/images.md).
[containers]
# Host networking by default: a test's container reaches the test's loopback services and vice versa. Bridge
# networks work too, but without a DNS plugin (see tests/support/compose.py for how compose copes).
netns = "host"
# podman's default ulimits are higher than this host's hard limits; runc then refuses to start a container.
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
log_driver = "k8s-file"

[engine]
# crun fails on this host's cgroups; runc works.
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "{tmp_dir}"
volume_path = "{volume_path}"

[network]
# Networks created by a test must not land in /etc/cni/net.d.
network_config_dir = "{network_dir}"
"""

_STORAGE_CONF = """\
# Written by tests/support/podman.py.
[storage]
driver = "overlay"
graphroot = "{graphroot}"
runroot = "{runroot}"
"""

# Short names (FROM python:3.12-slim, image: postgres:16) resolve the way Docker resolves them.
_REGISTRIES_CONF = """\
# Written by tests/support/podman.py.
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"
"""


class PodmanError(RuntimeError):
    """podman failed; the message holds the command and what it printed."""


@dataclass(frozen=True)
class PodmanHost:
    """One podman configuration: where its files live and the environment that selects them.

    cache_dir holds the image storage, build caches and config files and survives between runs;
    run_dir holds podman's runtime state (like /run/containers) and may vanish at reboot.
    """

    cache_dir: Path
    run_dir: Path

    @property
    def containers_conf(self) -> Path:
        return self.cache_dir / "containers.conf"

    @property
    def storage_conf(self) -> Path:
        return self.cache_dir / "storage.conf"

    @property
    def registries_conf(self) -> Path:
        return self.cache_dir / "registries.conf"

    @property
    def tmp_dir(self) -> Path:
        """TMPDIR for podman: buildah keeps `RUN --mount=type=cache` directories here, so it is cached too."""
        return self.cache_dir / "tmp"

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """`base` (default os.environ) with the variables that point podman at this configuration."""
        env = dict(os.environ if base is None else base)
        env.update(
            {
                "CONTAINERS_CONF": str(self.containers_conf),
                "CONTAINERS_STORAGE_CONF": str(self.storage_conf),
                "CONTAINERS_REGISTRIES_CONF": str(self.registries_conf),
                "TMPDIR": str(self.tmp_dir),
                # Any `podman build` under this environment (an Ansible role's too) builds as the harness does:
                # chroot isolation, and Docker's image format, which keeps HEALTHCHECK (OCI's drops it).
                "BUILDAH_ISOLATION": "chroot",
                "BUILDAH_FORMAT": "docker",
            }
        )
        return env

    def podman(
        self, *args: str, check: bool = True, timeout: float = COMMAND_TIMEOUT, capture: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `podman ARGS` under this configuration; raise PodmanError naming the command when it fails."""
        command = ["podman", *args]
        result = subprocess.run(
            command, env=self.env(), capture_output=capture, text=True, timeout=timeout, check=False
        )
        if check and result.returncode != 0:
            raise PodmanError(
                f"{' '.join(command)} failed (exit {result.returncode})\n{result.stdout or ''}\n{result.stderr or ''}"
            )
        return result

    def image_exists(self, name: str) -> bool:
        return self.podman("image", "exists", name, check=False).returncode == 0

    def image_labels(self, name: str) -> dict[str, str]:
        result = self.podman("image", "inspect", "--format", "{{json .Labels}}", name, check=False)
        if result.returncode != 0:
            return {}
        return json.loads(result.stdout) or {}

    @contextmanager
    def lock(self, name: str) -> Generator[None]:
        """An exclusive lock shared by every process using this cache directory (xdist workers, sessions)."""
        path = self.cache_dir / f"{name}.lock"
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    """Where images and build caches persist between runs on this machine (never inside the checkout)."""
    env = os.environ if env is None else env
    if env.get("DAGSTER_ECS_PODMAN_CACHE"):
        return Path(env["DAGSTER_ECS_PODMAN_CACHE"]).resolve()
    base = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return (base / "dagster-ecs" / "podman").resolve()


def configure_podman(cache_dir: Path | None = None) -> PodmanHost:
    """The configuration for `cache_dir` (default `cache_root()`), its files written if missing or stale."""
    if os.geteuid() != 0:
        raise PodmanError("the podman harness runs rootful podman (runc, cgroupfs, overlay): run the tests as root")
    if shutil.which("podman") is None:
        raise PodmanError("podman is not installed: apt-get install podman runc mmdebstrap (see .ci/run)")
    cache_dir = (cache_dir or cache_root()).resolve()
    # podman's database remembers its run root: one fixed run directory per storage directory.
    digest = hashlib.sha256(str(cache_dir).encode()).hexdigest()[:12]
    host = PodmanHost(cache_dir=cache_dir, run_dir=Path(f"/tmp/dagster-ecs-podman-{os.geteuid()}-{digest}"))
    for directory in (cache_dir, host.tmp_dir, cache_dir / "storage", cache_dir / "volumes", cache_dir / "networks"):
        directory.mkdir(parents=True, exist_ok=True)
    for directory in (host.run_dir / "storage", host.run_dir / "libpod"):
        directory.mkdir(parents=True, exist_ok=True)
    files = {
        host.containers_conf: _CONTAINERS_CONF.format(
            tmp_dir=host.run_dir / "libpod",
            volume_path=cache_dir / "volumes",
            network_dir=cache_dir / "networks",
        ),
        host.storage_conf: _STORAGE_CONF.format(graphroot=cache_dir / "storage", runroot=host.run_dir / "storage"),
        host.registries_conf: _REGISTRIES_CONF,
    }
    for path, text in files.items():
        if not path.exists() or path.read_text() != text:
            # Written aside and renamed: a concurrent worker never reads half a file.
            staging = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
            staging.write_text(text)
            staging.replace(path)
    return host


def ca_bundle(env: Mapping[str, str] | None = None) -> Path | None:
    """The host's CA bundle, which package downloads inside a build need here (a TLS-inspecting proxy)."""
    env = os.environ if env is None else env
    for candidate in (env.get("SSL_CERT_FILE"), env.get("PIP_CERT"), "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def build_secret_args() -> list[str]:
    """`--secret` for the CA bundle: mounted only while a RUN step needs it, never stored in a layer."""
    bundle = ca_bundle()
    return ["--secret", f"id={CA_SECRET_ID},src={bundle}"] if bundle else []


def ensure_base_image(host: PodmanHost) -> str:
    """The local stand-in for python:3.12-slim, built on first use and kept in the cache (docs/images.md)."""
    from tests.support.standin_images import ensure_python_base

    return ensure_python_base(host, BASE_IMAGE)


@dataclass(frozen=True)
class BuiltImage:
    """A built image: `name` is a tag that may move; `id` never does, so tests run by id."""

    name: str
    id: str
    size_bytes: int
    seconds: float

    @property
    def size_mb(self) -> float:
        return self.size_bytes / 1_000_000


def build_project_image(
    host: PodmanHost,
    tag: str | None = None,
    build_args: Mapping[str, str] | None = None,
    context: Path = REPO_ROOT,
) -> BuiltImage:
    """Build docker/Dockerfile (base stand-in first), as `docker build -f docker/Dockerfile .` would.

    The default tag names the content (`localhost/dagster-ecs:test-<digest of the build inputs>`), so two
    checkouts sharing the cache (a CI clone beside a working tree) never move each other's tag. Serialized
    across processes: two workers building at once would only double the work on two cores.
    """
    ensure_base_image(host)
    name = tag or f"{PROJECT_IMAGE_REPOSITORY}:test-{context_digest(context)}"
    args = ["build", "--isolation", "chroot", "--pull=never", "--network", "host", "--layers", "--format", "docker"]
    args += ["--file", str(context / "docker" / "Dockerfile"), "--tag", name, *build_secret_args()]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    with host.lock("build"):
        started = time.monotonic()
        host.podman(*args, str(context), timeout=BUILD_TIMEOUT)
        seconds = time.monotonic() - started
        image_id = host.podman("image", "inspect", "--format", "{{.Id}}", name).stdout.strip()
        forget_stale_test_images(host, keep=image_id)
        prune_stale_layers(host)
    return BuiltImage(name=name, id=image_id, size_bytes=image_size(host, image_id), seconds=seconds)


def context_digest(context: Path) -> str:
    """A digest of what the build reads: the Dockerfile's directory and the paths .dockerignore lets in."""
    digest = hashlib.sha256()
    for name in CONTEXT_INPUTS:
        path = context / name
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(context)).encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:12]


def forget_image(host: PodmanHost, image_id: str) -> None:
    """Remove a superseded image that no tag names any more; kept while a container or child image uses it."""
    tags = host.podman("image", "inspect", "--format", "{{len .RepoTags}}", image_id, check=False).stdout.strip()
    if tags == "0":
        host.podman("rmi", image_id, check=False)


def forget_stale_test_images(host: PodmanHost, keep: str) -> None:
    """Remove the test builds of earlier contents, once they are older than STALE_LAYER_AGE."""
    listing = host.podman(
        "images", "--format", "json", "--filter", f"reference={PROJECT_IMAGE_REPOSITORY}:test-*", check=False
    )
    cutoff = time.time() - STALE_SECONDS
    for image in json.loads(listing.stdout or "[]"):
        if image["Id"] != keep and image.get("Created", cutoff) < cutoff:
            host.podman("rmi", "--force", *image.get("Names", []), check=False)


def prune_stale_layers(host: PodmanHost) -> None:
    """Drop untagged images (earlier builds' stages) older than a day, so the cache stays bounded.

    A day, not less: a build running in another process right now keeps its intermediate images, and
    yesterday's dependency layer costs one uv install from the warm uv cache to remake.
    """
    host.podman("image", "prune", "--force", "--filter", f"until={STALE_LAYER_AGE}", check=False)


def image_size(host: PodmanHost, image: str) -> int:
    """Uncompressed size in bytes, the figure `podman images` and `docker images` show."""
    return int(host.podman("image", "inspect", "--format", "{{.Size}}", image).stdout.strip())


@dataclass(frozen=True)
class Container:
    host: PodmanHost
    name: str

    def logs(self, tail: int = 80) -> str:
        result = self.host.podman("logs", "--tail", str(tail), self.name, check=False)
        return (result.stdout or "") + (result.stderr or "")

    def exec(
        self, *command: str, check: bool = True, timeout: float = COMMAND_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        return self.host.podman("exec", self.name, *command, check=check, timeout=timeout)

    def running(self) -> bool:
        result = self.host.podman("container", "inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return result.stdout.strip() == "true"


@contextmanager
def running_container(
    host: PodmanHost,
    image: str,
    command: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    volumes: Sequence[str] = (),
    extra_args: Sequence[str] = (),
    name: str | None = None,
) -> Generator[Container]:
    """A detached container on the host network, force-removed on exit whatever happened."""
    name = name or f"dagster-ecs-test-{uuid.uuid4().hex[:10]}"
    args = ["run", "--detach", "--name", name, "--label", f"{TEST_LABEL}=1", "--pull=never"]
    for key, value in (env or {}).items():
        args += ["--env", f"{key}={value}"]
    for volume in volumes:
        args += ["--volume", volume]
    try:
        host.podman(*args, *extra_args, image, *command)
        yield Container(host=host, name=name)
    finally:
        host.podman("rm", "--force", "--volumes", "--time", "5", name, check=False)


def run_once(
    host: PodmanHost, image: str, command: Sequence[str], extra_args: Sequence[str] = (), check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`podman run --rm IMAGE COMMAND` and its output."""
    return host.podman(
        "run", "--rm", "--label", f"{TEST_LABEL}=1", "--pull=never", *extra_args, image, *command, check=check
    )


def remove_containers(host: PodmanHost, label: str = TEST_LABEL) -> None:
    """Force-remove every container (running or not) that carries `label`."""
    ids = host.podman("ps", "--all", "--quiet", "--filter", f"label={label}").stdout.split()
    if ids:
        host.podman("rm", "--force", "--volumes", "--time", "5", *ids, check=False)


@pytest.fixture(scope="session")
def podman_host() -> PodmanHost:
    """The suite's podman configuration; a machine without podman fails loudly rather than skipping."""
    return configure_podman()


@pytest.fixture(scope="session")
def project_image(podman_host: PodmanHost) -> BuiltImage:
    """docker/Dockerfile built once per session (a cache hit when nothing changed since the last build)."""
    return build_project_image(podman_host)
