"""docker-compose.yml brought up with podman-compose, on the podman configuration of tests/support/podman.py.

The compose file is used as a user has it. Only the network differs: podman here has no DNS plugin for its
bridge networks, so containers could not find each other by service name. The override this module writes
puts the project on a bridge network of its own (a /24 no other network uses), gives each service a fixed
address and lists every service's address in every container's /etc/hosts. Each service keeps its own network
namespace and its real ports (3000, 4000, 5432, 5000), so nothing clashes with other tests running at the
same time, and the tests reach each service at its address.
"""

import contextlib
import ipaddress
import json
import os
import random
import shutil
import subprocess
import time
import uuid
from collections.abc import Generator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tests.support.dagster_processes import venv_script
from tests.support.podman import REPO_ROOT, PodmanError, PodmanHost

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
CNI_IPAM_DIR = Path("/var/lib/cni/networks")
PROJECT_LABEL = "io.podman.compose.project"
UP_TIMEOUT = 600
DOWN_TIMEOUT = 180
# Private ranges podman hands out by default (10.88/16 and 10.89.x) stay clear of these.
_SUBNET_POOL = ipaddress.IPv4Network("10.200.0.0/16")


@dataclass(frozen=True)
class ComposeProject:
    host: PodmanHost
    name: str
    files: tuple[Path, ...]
    addresses: Mapping[str, str]
    env: Mapping[str, str]

    def compose(self, *args: str, timeout: float = UP_TIMEOUT, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`podman-compose -p NAME -f ... ARGS` under the harness's podman configuration."""
        command = [venv_script("podman-compose"), "--project-name", self.name, "--in-pod=false"]
        for file in self.files:
            command += ["--file", str(file)]
        command += list(args)
        result = subprocess.run(
            command,
            env=self.host.env({**os.environ, **self.env}),
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            output = f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            raise PodmanError(f"{' '.join(command)} failed (exit {result.returncode})\n{output}")
        return result

    def containers(self) -> list[dict[str, Any]]:
        """Every container of the project, running or not."""
        listing = self.host.podman("ps", "--all", "--format", "json", "--filter", f"label={PROJECT_LABEL}={self.name}")
        return json.loads(listing.stdout or "[]")

    def logs(self, tail: int = 40) -> str:
        """The last lines of every container's log, for a failure message."""
        parts = []
        for container in self.containers():
            name = container["Names"][0]
            result = self.host.podman("logs", "--tail", str(tail), name, check=False)
            parts.append(f"--- {name} ({container['State']}) ---\n{result.stdout}{result.stderr}")
        return "\n".join(parts)

    def url(self, service: str, port: int) -> str:
        return f"http://{self.addresses[service]}:{port}"


def free_subnet(host: PodmanHost) -> ipaddress.IPv4Network:
    """A /24 of 10.200/16 that neither a podman network nor a host route uses."""
    taken: list[ipaddress.IPv4Network] = []
    cidrs = [
        subnet["subnet"]
        for network in json.loads(host.podman("network", "ls", "--format", "json").stdout or "[]")
        for subnet in network.get("subnets") or []
    ]
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=False).stdout
    cidrs += [line.split()[0] for line in routes.splitlines() if line and not line.startswith("default")]
    for cidr in cidrs:
        with contextlib.suppress(ValueError):
            taken.append(ipaddress.IPv4Network(cidr, strict=False))
    candidates = list(_SUBNET_POOL.subnets(new_prefix=24))
    random.shuffle(candidates)
    for candidate in candidates:
        if not any(candidate.overlaps(other) for other in taken):
            return candidate
    raise PodmanError(f"no free /24 left in {_SUBNET_POOL}")


def network_override(services: Sequence[str], subnet: ipaddress.IPv4Network) -> tuple[dict[str, Any], dict[str, str]]:
    """The override document and each service's address (.10 upwards; .1 is the host's end of the bridge)."""
    hosts = list(subnet.hosts())
    addresses = {service: str(hosts[9 + index]) for index, service in enumerate(sorted(services))}
    extra_hosts = [f"{service}:{address}" for service, address in addresses.items()]
    document: dict[str, Any] = {
        "networks": {"default": {"ipam": {"config": [{"subnet": str(subnet), "gateway": str(hosts[0])}]}}},
        "services": {
            service: {"networks": {"default": {"ipv4_address": address}}, "extra_hosts": extra_hosts}
            for service, address in addresses.items()
        },
    }
    return document, addresses


@contextmanager
def compose_project(
    host: PodmanHost,
    directory: Path,
    service_overrides: Mapping[str, Mapping[str, Any]],
    env: Mapping[str, str],
) -> Generator[ComposeProject]:
    """docker-compose.yml with the network override (and `service_overrides`), torn down on exit.

    Nothing is started here: the caller runs `project.compose("up", "-d")`. On exit the project is brought
    down with its volumes, whatever happened, and anything podman-compose left is removed by label.
    """
    services = list(yaml.safe_load(COMPOSE_FILE.read_text())["services"])
    document, addresses = network_override(services, free_subnet(host))
    for service, override in service_overrides.items():
        document["services"][service].update(override)
    override_file = directory / "compose.override.yml"
    override_file.write_text(yaml.safe_dump(document, sort_keys=False))
    project = ComposeProject(
        host=host,
        name=f"dagster-ecs-test-{uuid.uuid4().hex[:8]}",
        files=(COMPOSE_FILE, override_file),
        addresses=addresses,
        env=dict(env),
    )
    try:
        yield project
    finally:
        tear_down(project)


def tear_down(project: ComposeProject) -> None:
    """`down -v`, then force-remove whatever is left of the project (containers, network, volumes)."""
    with contextlib.suppress(PodmanError, subprocess.TimeoutExpired):
        project.compose("down", "--volumes", "--timeout", "10", timeout=DOWN_TIMEOUT)
    host = project.host
    leftovers = [container["Id"] for container in project.containers()]
    if leftovers:
        host.podman("rm", "--force", "--volumes", *leftovers, check=False)
    host.podman("network", "rm", "--force", f"{project.name}_default", check=False)
    volumes = host.podman("volume", "ls", "--quiet", "--filter", f"label={PROJECT_LABEL}={project.name}", check=False)
    if volumes.stdout.split():
        host.podman("volume", "rm", "--force", *volumes.stdout.split(), check=False)
    # The CNI host-local IPAM plugin keeps its leases of the network here and never removes the directory.
    shutil.rmtree(CNI_IPAM_DIR / f"{project.name}_default", ignore_errors=True)


def wait_healthy(project: ComposeProject, service: str, timeout: float) -> None:
    """Run the service's health check until it passes (podman 4.3 runs none by itself without systemd)."""
    name = f"{project.name}_{service}_1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if project.host.podman("healthcheck", "run", name, check=False).returncode == 0:
            return
        time.sleep(1)
    raise TimeoutError(f"{service} not healthy after {timeout:.0f}s\n{project.logs()}")
