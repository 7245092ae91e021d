"""docker-compose.yml: its configuration is what the platform generates, and `up -d` runs the template pipeline."""

import json
import time
import tomllib
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import Any

import boto3
import psycopg2
import pytest
import yaml

from dagster_ecs.config import to_yaml
from dagster_ecs.config.instance import compose_instance_config, validate_instance_directory
from dagster_ecs.config.workspace import compose_service_name, compose_workspace
from dagster_ecs.discovery import discover_repositories
from tests.support.compose import COMPOSE_FILE, ComposeProject, compose_project, wait_healthy
from tests.support.dagster_processes import DagsterGraphQL
from tests.support.podman import REPO_ROOT, BuiltImage, PodmanHost
from tests.support.ports import free_port, http_ok, wait_until
from tests.support.standin_images import ensure_moto, ensure_postgres

DAGSTER_SERVICES = ("dagster", "daemon")
# Generous: on two busy cores, each code server imports Dagster and its DAG files in about 20 s.
START_TIMEOUT = 300
RUN_TIMEOUT = 240
TEMPLATE_OUTPUT_KEY = "repos/main/template/output/processed_data_2_records.json"
EXPECTED_RECORDS = [
    {"id": 1, "value": "data1", "processed": True, "length": 5},
    {"id": 2, "value": "data2", "processed": True, "length": 5},
]


def compose_document() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def repositories() -> list[str]:
    return [repository.name for repository in discover_repositories(REPO_ROOT / "dags")]


def test_the_instance_and_workspace_are_the_generated_ones() -> None:
    services = compose_document()["services"]
    expected_instance = to_yaml(compose_instance_config())
    expected_workspace = to_yaml(compose_workspace(repositories()))
    for service in DAGSTER_SERVICES:
        environment = services[service]["environment"]
        assert environment["DAGSTER_ECS_INSTANCE_YAML"] == expected_instance, (
            f"docker-compose.yml's DAGSTER_ECS_INSTANCE_YAML of {service} should be:\n{expected_instance}"
        )
        assert environment["DAGSTER_ECS_WORKSPACE_YAML"] == expected_workspace, (
            f"docker-compose.yml's DAGSTER_ECS_WORKSPACE_YAML of {service} should be:\n{expected_workspace}"
        )


def test_the_instance_passes_dagsters_validation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = compose_document()["services"]["dagster"]["environment"]
    for name, value in environment.items():
        monkeypatch.setenv(name, str(value))
    (tmp_path / "dagster.yaml").write_text(environment["DAGSTER_ECS_INSTANCE_YAML"])
    validate_instance_directory(tmp_path)


def test_one_code_server_per_dag_repository() -> None:
    services = compose_document()["services"]
    code_servers = {name for name in services if name.startswith("code-")}
    assert code_servers == {compose_service_name(repository) for repository in repositories()}
    for repository in repositories():
        service = services[compose_service_name(repository)]
        assert service["command"] == ["python", "-m", "dagster_ecs.container", "code-server", repository]
        dags_dir = service["environment"]["DAGSTER_ECS_DAGS_DIR"]
        assert service["volumes"] == [f"./dags/{repository}:{dags_dir}/{repository}:ro"]
        for dependent in DAGSTER_SERVICES:
            assert services[dependent]["depends_on"][compose_service_name(repository)] == {
                "condition": "service_healthy"
            }


def test_images_are_the_public_ones_users_pull() -> None:
    services = compose_document()["services"]
    lock = tomllib.loads((REPO_ROOT / "uv.lock").read_text())
    moto = next(entry["version"] for entry in lock["package"] if entry["name"] == "moto")
    assert services["s3"]["image"] == f"motoserver/moto:{moto}", "the S3 emulator should be the locked moto"
    assert services["postgres"]["image"] == "postgres:16"
    for name in (*DAGSTER_SERVICES, "s3-bucket", *(compose_service_name(r) for r in repositories())):
        assert services[name]["build"] == {"context": ".", "dockerfile": "docker/Dockerfile"}


@pytest.fixture
def compose_images(podman_host: PodmanHost, project_image: BuiltImage) -> Generator[str]:
    """The stand-ins for postgres:16 and motoserver/moto, and a tag of the project image for this test."""
    ensure_postgres(podman_host)
    ensure_moto(podman_host, compose_document()["services"]["s3"]["image"].rsplit(":", 1)[1])
    tag = f"localhost/dagster-ecs:compose-{project_image.id[:12]}-{free_port()}"
    podman_host.podman("tag", project_image.id, tag)
    try:
        yield tag
    finally:
        podman_host.podman("untag", project_image.id, tag, check=False)


def runs_row(project: ComposeProject, run_id: str) -> tuple[str, str]:
    environment = compose_document()["services"]["postgres"]["environment"]
    connection = psycopg2.connect(
        host=project.addresses["postgres"],
        port=5432,
        user=environment["POSTGRES_USER"],
        password=environment["POSTGRES_PASSWORD"],
        dbname=environment["POSTGRES_DB"],
        connect_timeout=10,
    )
    with closing(connection), connection.cursor() as cursor:
        cursor.execute("SELECT status, pipeline_name FROM runs WHERE run_id = %s", (run_id,))
        row = cursor.fetchone()
    assert row is not None, f"run {run_id} is not in PostgreSQL's runs table"
    return row[0], row[1]


@pytest.mark.e2e
@pytest.mark.timeout(1200)  # may pay the image and stand-in builds on a cold machine
def test_compose_up_runs_the_template_pipeline(podman_host: PodmanHost, compose_images: str, tmp_path: Path) -> None:
    """`up -d`, the template pipeline launched through GraphQL succeeds, its run is in PostgreSQL, its objects in
    the S3 emulator under repos/main/; `down` leaves nothing running."""
    services = compose_document()["services"]
    built_here = {name: {"image": compose_images} for name, service in services.items() if "build" in service}
    dagster_port = free_port()
    started = time.monotonic()
    with compose_project(podman_host, tmp_path, built_here, {"DAGSTER_PORT": str(dagster_port)}) as project:
        # --no-deps: podman 4.3 cannot start a container whose dependency has dependencies of its own, and
        # ignores health conditions anyway; the services' restart policies cover the start order.
        project.compose("up", "--detach", "--no-build", "--no-deps")
        url = project.url("dagster", 3000)
        graphql = DagsterGraphQL(url, diagnostics=project.logs)
        try:
            wait_until(lambda: http_ok(f"{url}/server_info"), START_TIMEOUT, "the webserver's /server_info")
        except TimeoutError as error:
            raise TimeoutError(f"{error}\n{project.logs()}") from None
        # What a user opens: the webserver on this machine's loopback, at DAGSTER_PORT.
        assert http_ok(f"http://127.0.0.1:{dagster_port}/server_info")
        graphql.wait_locations_settled(repositories(), START_TIMEOUT)
        print(f"compose up: webserver and every code location ready after {time.monotonic() - started:.0f}s")
        for service in ("postgres", "s3", "dagster", *(compose_service_name(r) for r in repositories())):
            wait_healthy(project, service, START_TIMEOUT)

        run_id, _ = graphql.launch_run("main", "template_pipeline")
        status, seen = graphql.wait_run_finished(run_id, RUN_TIMEOUT)
        assert status == "SUCCESS", f"statuses {seen}\n{graphql.run_messages(run_id)}\n{project.logs()}"
        # Queued first: the daemon, not the webserver, started it.
        assert seen[0] in {"QUEUED", "NOT_STARTED", "STARTING", "STARTED"}
        assert runs_row(project, run_id) == ("SUCCESS", "template_pipeline")

        environment = services["s3-bucket"]["environment"]
        s3 = boto3.client(
            "s3",
            endpoint_url=project.url("s3", 5000),
            aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
            region_name=environment["AWS_DEFAULT_REGION"],
        )
        bucket = environment["S3_BUCKET"]
        keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert TEMPLATE_OUTPUT_KEY in keys, keys
        output = json.loads(s3.get_object(Bucket=bucket, Key=TEMPLATE_OUTPUT_KEY)["Body"].read())
        assert output == EXPECTED_RECORDS
        # The IO manager's pickles of the assets that return a value, and nothing outside the repository's prefix
        # but the compute logs (the instance's, under their own prefix).
        repository_keys = {key for key in keys if key.startswith("repos/main/")}
        assert repository_keys == {
            TEMPLATE_OUTPUT_KEY,
            "repos/main/repos/template/template_input_data",
            "repos/main/repos/template/template_processed_data",
        }
        assert all(key.startswith("compute_logs/") for key in set(keys) - repository_keys), keys

        project.compose("down", "--volumes", "--timeout", "10")
        assert project.containers() == [], "containers left after `down`"
        network = podman_host.podman("network", "exists", f"{project.name}_default", check=False)
        assert network.returncode != 0, "the project's network is left after `down`"
