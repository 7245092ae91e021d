"""docker/Dockerfile built with podman and checked as a user of the image would: size, labels, user, what is
(not) inside, and the servers it runs (a code server serving dags/main to a webserver)."""

import base64
import csv
import hashlib
import json
import re
import tomllib
from collections.abc import Generator
from pathlib import Path

import pytest
import yaml

from dagster_ecs.config.workspace import code_server_command, grpc_workspace
from tests.support.dagster_processes import DagsterGraphQL
from tests.support.podman import REPO_ROOT, BuiltImage, PodmanHost, ca_bundle, run_once, running_container
from tests.support.ports import free_port, http_ok, wait_until

# The first test to ask for the image pays the builds (base stand-in + image, a few minutes cold on a busy CI).
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

MAX_IMAGE_BYTES = 500_000_000  # the product's goal (issue 5): under 500 MB
NON_ROOT_UID = 10001
CONTAINER_DAGS_DIR = "/opt/dagster/dags"
SERVER_TIMEOUT = 180
# readonlyRootFilesystem as the task definitions set it: no tmpfs of podman's own (ECS adds none), so only the
# image's VOLUME paths (anonymous volumes) and the test's mounts are writable.
ECS_ROOT = ["--read-only", "--read-only-tmpfs=false"]
PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")


def healthy(host: PodmanHost, container: str) -> bool:
    """The image's HEALTHCHECK, run now (podman runs it on demand; it has no systemd timer here)."""
    return host.podman("healthcheck", "run", container, check=False).returncode == 0


def locked_version(package: str) -> str:
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    return next(entry["version"] for entry in lock["package"] if entry["name"] == package)


def wheel_bundle_certificates(image_root: Path) -> set[bytes]:
    """Certificates of the .pem files installed from wheels, each checked against its wheel's RECORD hash."""
    certificates: set[bytes] = set()
    records = list(image_root.glob("opt/dagster/venv/lib/python3.12/site-packages/*.dist-info/RECORD"))
    records += image_root.glob("usr/local/lib/python3.12/site-packages/*.dist-info/RECORD")
    for record in records:
        for row in csv.reader(record.read_text().splitlines()):
            if len(row) < 2 or not row[0].endswith(".pem") or not row[1].startswith("sha256="):
                continue
            data = (record.parent.parent / row[0]).read_bytes()
            recorded = base64.urlsafe_b64decode(row[1].removeprefix("sha256=") + "==")
            assert hashlib.sha256(data).digest() == recorded, f"{row[0]} differs from the wheel it came from"
            certificates |= set(PEM_CERTIFICATE.findall(data))
    assert certificates, "no wheel-installed CA bundle found (certifi)"
    return certificates


@pytest.fixture(scope="module")
def image_root(podman_host: PodmanHost, project_image: BuiltImage) -> Generator[Path]:
    """The image's filesystem, mounted read-only on the host for inspection."""
    mountpoint = podman_host.podman("image", "mount", project_image.id).stdout.strip()
    try:
        yield Path(mountpoint)
    finally:
        podman_host.podman("image", "unmount", project_image.id, check=False)


def test_image_is_under_500_mb_with_oci_labels(podman_host: PodmanHost, project_image: BuiltImage) -> None:
    print(f"image {project_image.name}: {project_image.size_mb:.0f} MB, built in {project_image.seconds:.1f}s")
    assert project_image.size_bytes < MAX_IMAGE_BYTES, f"image is {project_image.size_mb:.0f} MB"
    inspected = json.loads(podman_host.podman("image", "inspect", project_image.id).stdout)[0]
    config, labels = inspected["Config"], inspected["Config"]["Labels"]
    assert labels["org.opencontainers.image.title"] == "dagster-ecs"
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert labels["org.opencontainers.image.version"] == project["version"], "docker/Dockerfile's VERSION default"
    for key in ("revision", "source", "base.name"):
        assert labels.get(f"org.opencontainers.image.{key}"), f"label org.opencontainers.image.{key} is missing"
    assert config["User"] == f"{NON_ROOT_UID}:{NON_ROOT_UID}"
    # The task definitions mount their writable volumes exactly here (roles/services, readonlyRootFilesystem).
    assert set(config["Volumes"]) == {"/opt/dagster/home", "/tmp"}
    # Docker image format: the OCI format has no HEALTHCHECK (podman build --format docker).
    assert inspected["Healthcheck"]["Test"] == ["CMD", "python", "/opt/dagster/healthcheck.py"]
    environment = dict(item.split("=", 1) for item in config["Env"])
    assert environment["DAGSTER_HOME"] == "/opt/dagster/home"
    assert environment["DAGSTER_ECS_DAGS_DIR"] == CONTAINER_DAGS_DIR


def test_build_args_become_labels(podman_host: PodmanHost, project_image: BuiltImage) -> None:
    """A rebuild for a release's revision and source reuses the installed layers and changes the labels."""
    from tests.support.podman import build_project_image

    tagged = build_project_image(
        podman_host,
        tag="localhost/dagster-ecs:labels-test",
        build_args={"REVISION": "0123abc", "SOURCE": "https://example.com/dagster-ecs"},
    )
    try:
        labels = json.loads(podman_host.podman("image", "inspect", tagged.id).stdout)[0]["Config"]["Labels"]
        assert labels["org.opencontainers.image.revision"] == "0123abc"
        assert labels["org.opencontainers.image.source"] == "https://example.com/dagster-ecs"
        build_info = run_once(podman_host, tagged.id, ["cat", "/opt/dagster/build-info.json"]).stdout
        assert json.loads(build_info)["revision"] == "0123abc"
        layers = "{{json .RootFS.Layers}}"
        parent_layers = json.loads(podman_host.podman("image", "inspect", "--format", layers, project_image.id).stdout)
        tagged_layers = json.loads(podman_host.podman("image", "inspect", "--format", layers, tagged.id).stdout)
        # Only the last layer (build-info.json) differs: the dependencies and the package were reused.
        assert tagged_layers[:-1] == parent_layers[:-1]
    finally:
        podman_host.podman("rmi", tagged.name, check=False)


def test_nothing_of_the_build_is_left_in_the_image(image_root: Path) -> None:
    """No compiler, no uv or pip cache, no uv, no build directory, no CA bundle given as a build secret."""
    for tool in ("usr/bin/gcc", "usr/bin/cc", "usr/local/bin/uv", "opt/dagster/venv/bin/uv"):
        assert not (image_root / tool).exists(), f"/{tool} is in the image"
    for directory in ("root/.cache", "build", "run/secrets", "tmp/uv-cache"):
        path = image_root / directory
        assert not path.exists() or not any(path.iterdir()), f"/{directory} is in the image and not empty"
    assert not list((image_root / "opt/dagster").glob("**/*.whl"))
    assert not (image_root / "opt/dagster/dags").exists() or not any((image_root / "opt/dagster/dags").iterdir()), (
        "DAG code is baked into the image"
    )

    bundle = ca_bundle()
    if bundle is None:
        pytest.skip("no host CA bundle was given to the build")
    host_certificates = set(PEM_CERTIFICATE.findall(bundle.read_bytes()))
    # What only the build secret could have brought in (e.g. a TLS-inspecting proxy's CA): the host's
    # certificates that neither Debian's bundle nor a published wheel's bundle holds.
    public = set(PEM_CERTIFICATE.findall((image_root / "etc/ssl/certs/ca-certificates.crt").read_bytes()))
    public |= wheel_bundle_certificates(image_root)
    secret_only = host_certificates - public
    bundle_digest = hashlib.sha256(bundle.read_bytes()).digest()
    for path in image_root.rglob("*"):
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 5_000_000:
            continue
        data = path.read_bytes()
        assert hashlib.sha256(data).digest() != bundle_digest, f"the build's CA bundle is in the image at {path}"
        if b"-----BEGIN CERTIFICATE-----" in data:
            leaked = secret_only & set(PEM_CERTIFICATE.findall(data))
            assert not leaked, f"{path} holds a certificate of the build secret"


def test_dagster_version_and_the_code_server_command(podman_host: PodmanHost, project_image: BuiltImage) -> None:
    version = run_once(podman_host, project_image.id, ["dagster", "--version"]).stdout
    assert f"version {locked_version('dagster')}" in version
    identity = run_once(podman_host, project_image.id, ["id", "-u"]).stdout.strip()
    assert identity == str(NON_ROOT_UID)
    dry_run = run_once(
        podman_host, project_image.id, ["python", "-m", "dagster_ecs.container", "--dry-run", "code-server", "main"]
    )
    assert json.loads(dry_run.stdout) == {"command": code_server_command("main"), "environment": {}}


def test_webserver_serves_the_code_server_of_dags_main(
    podman_host: PodmanHost, project_image: BuiltImage, tmp_path: Path
) -> None:
    """A code server reading dags/main from a read-only mount, a webserver loading it; both healthy.

    Both run as the task definitions run them on ECS: a read-only root file system with writable volumes only at
    the image's VOLUME paths (DAGSTER_HOME, /tmp), which podman creates from the image's content as ECS does.
    """
    code_port, web_port = free_port(), free_port()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(yaml.safe_dump(grpc_workspace({"main": ("127.0.0.1", code_port)})))
    dags = f"{REPO_ROOT / 'dags' / 'main'}:{CONTAINER_DAGS_DIR}/main:ro"
    code_server = code_server_command("main", host="127.0.0.1", port=code_port)
    webserver = ["dagster-webserver", "-h", "127.0.0.1", "-p", str(web_port), "-w", "/opt/dagster/workspace.yaml"]
    with running_container(podman_host, project_image.id, code_server, volumes=[dags], extra_args=ECS_ROOT) as code:
        # The image's own health check says when the code server listens (the webserver loads it only once).
        wait_until(lambda: healthy(podman_host, code.name), SERVER_TIMEOUT, f"code server healthy\n{code.logs()}", 1)
        web_volumes = [f"{workspace}:/opt/dagster/workspace.yaml:ro"]
        with running_container(
            podman_host, project_image.id, webserver, volumes=web_volumes, extra_args=ECS_ROOT
        ) as web:
            url = f"http://127.0.0.1:{web_port}"
            graphql = DagsterGraphQL(
                url, diagnostics=lambda: f"--- code server ---\n{code.logs()}\n--- webserver ---\n{web.logs()}"
            )
            try:
                wait_until(lambda: http_ok(f"{url}/server_info"), SERVER_TIMEOUT, "the webserver's /server_info")
            except TimeoutError as error:
                raise TimeoutError(f"{error}\n{graphql.diagnostics()}") from None
            assert healthy(podman_host, web.name), f"webserver answers but is unhealthy\n{web.logs()}"
            entries = graphql.wait_locations_settled(["main"], SERVER_TIMEOUT)
            jobs = [job for repository_jobs in entries["main"].jobs.values() for job in repository_jobs]
            assert "template_pipeline" in jobs, f"location main: {entries['main']}"
    left = podman_host.podman("ps", "--all", "--quiet", "--filter", f"name={code.name}", "--filter", f"name={web.name}")
    assert not left.stdout.strip(), "containers were left behind"
