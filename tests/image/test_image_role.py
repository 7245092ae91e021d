"""The image role, applied by ansible-playbook: it names the image after its build inputs, builds and pushes it
once, and skips both when the registry already holds the tag.

Pushes go to a real registry (Debian's docker-registry on a loopback port) with real podman builds of
docker/Dockerfile. The build reuses the layers of the session's `project_image` build (same inputs; only the
REVISION label step differs), so the first run costs that step and a push of the ~360 MB image into the local
registry, not a full build: the build-and-push test takes about 30 s on a quiet machine (45 s under load), the
whole file about 2-3 minutes. ECR is the emulator: the role's tag look-up through DescribeImages is tested there;
a push to ECR is not (moto holds no image layers; the ECR login is tested in tests/ansible_modules/test_ecr_login.py).
"""

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.roles.runner import RoleRun, checked, failure_message, rejection, run_role
from tests.support.moto_server import MotoServer
from tests.support.podman import BuiltImage, PodmanHost, ca_bundle
from tests.support.registry import LocalRegistry, running_registry
from tests.unit.test_image_tag import GIT_ENV, commit_all, content_tag

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = "docker/Dockerfile"
# How podman builds on this machine (docs/images.md); an operator's Docker or podman needs none of it.
BUILD_OPTIONS = ["--isolation", "chroot", "--pull=never", "--network", "host"]
ACCOUNT = "123456789012"
ECR_NAME = "dagster-ecs-test/dagster"
ECR_URI = f"{ACCOUNT}.dkr.ecr.ap-southeast-2.amazonaws.com/{ECR_NAME}"
BUILD_TASK = "image : Build the image"
PUSH_TASK = "image : Push the image"
REPORT_TASK = "image : Report what would be built and pushed (check mode)"
BUILDER_PROBE = "Ask whether the builder holds the image"


def compute_tag(checkout: Path, dockerfile: Path, platform: str = "linux/amd64") -> Any:
    """The content tag the role gives an image built for `platform` (X86_64, the default architecture)."""
    return content_tag(checkout, dockerfile, platform=platform)


def ran(run: RoleRun, name: str) -> bool:
    """Whether the task called `name` ran (was not skipped)."""
    return any(not result.get("skipped") for result in run.results(name))


@pytest.fixture
def podman_env(podman_host: PodmanHost, monkeypatch: pytest.MonkeyPatch) -> PodmanHost:
    """This test's ansible-playbook (and the podman it runs) uses the suite's podman configuration."""
    for name, value in podman_host.env({}).items():
        monkeypatch.setenv(name, value)
    return podman_host


def build_input_checkout(target: Path) -> Path:
    """A git checkout holding this checkout's build inputs as they are now, committed: what CI's clone holds, even
    while this working tree has uncommitted changes."""
    from ansible_collections.dagster_ecs.aws.plugins.module_utils.image_tag import (
        IGNORE_FILE,
        DockerIgnore,
        working_tree_entries,
    )

    ignore = DockerIgnore((REPO_ROOT / IGNORE_FILE).read_text())
    for relative in [*working_tree_entries(REPO_ROOT, ignore), DOCKERFILE, IGNORE_FILE]:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO_ROOT / relative, destination)
    subprocess.run(["git", "-C", str(target), "init", "-q", "-b", "main"], check=True, env=GIT_ENV)
    commit_all(target, "build inputs")
    return target


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    with running_registry(tmp_path_factory.mktemp("registry")) as registry:
        yield registry


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_input_checkout(tmp_path_factory.mktemp("inputs") / "checkout")


def plain_vars(registry: LocalRegistry, checkout: Path, name: str, **overrides: Any) -> dict[str, Any]:
    bundle = ca_bundle()
    return {
        "image_repository_uri": f"{registry.host}/{name}",
        "image_registry_kind": "plain",
        "image_registry_insecure": True,
        "image_context_dir": str(checkout),
        "image_dockerfile": DOCKERFILE,
        "image_builder": "podman",
        "image_build_options": BUILD_OPTIONS,
        "image_ca_bundle": str(bundle) if bundle else "",
        **overrides,
    }


def test_first_run_builds_and_pushes_the_content_tag_second_run_does_nothing(
    aws: MotoServer,  # no AWS call is expected: the emulator is there to notice one
    podman_env: PodmanHost,
    project_image: BuiltImage,  # warms the layer cache the role's build reuses
    registry: LocalRegistry,
    inputs: Path,
    tmp_path: Path,
) -> None:
    name = "dagster-ecs-test/dagster"
    expected = compute_tag(inputs, Path(DOCKERFILE))
    role_vars = plain_vars(registry, inputs, name)

    first = run_role(tmp_path / "first", "image", role_vars, aws=aws)
    assert first.rc == 0, first.failures
    assert BUILD_TASK in first.changed
    assert PUSH_TASK in first.changed
    assert first.facts["image_tag"] == expected.tag
    assert first.facts["image_tag"].endswith("-amd64")
    [build] = first.results(BUILD_TASK.split(" : ", 1)[1])
    assert build["cmd"][build["cmd"].index("--platform") + 1] == "linux/amd64"
    assert first.facts["image_uri"] == f"{registry.host}/{name}:{expected.tag}"
    assert registry.tags(name) == [expected.tag]
    pushed = registry.manifest_digest(name, expected.tag)
    assert podman_env.image_labels(first.facts["image_uri"])["org.opencontainers.image.revision"] == expected.commit

    # Without the local image, a second build would show up as that image reappearing.
    podman_env.podman("rmi", first.facts["image_uri"])
    requests_before = len(registry.requests())
    second = run_role(tmp_path / "second", "image", role_vars, aws=aws)
    assert second.rc == 0, second.failures
    assert second.changed == []
    assert registry.writes(since=requests_before) == [], "the second run pushed again"
    assert not podman_env.image_exists(first.facts["image_uri"]), "the second run built the image again"
    assert registry.manifest_digest(name, expected.tag) == pushed


def test_check_mode_reports_the_build_and_push_and_does_neither(
    aws: MotoServer, podman_env: PodmanHost, registry: LocalRegistry, inputs: Path, tmp_path: Path
) -> None:
    name = "dagster-ecs-test/check"
    requests_before = len(registry.requests())
    run = checked(aws, tmp_path, "image", plain_vars(registry, inputs, name))
    assert run.changed == [REPORT_TASK]
    assert registry.writes(since=requests_before) == []
    assert registry.tags(name) == []
    assert not podman_env.image_exists(run.facts["image_uri"])


def test_arm64_names_and_would_build_an_arm64_image(
    aws: MotoServer, podman_env: PodmanHost, registry: LocalRegistry, inputs: Path, tmp_path: Path
) -> None:
    name = "dagster-ecs-test/arm"
    run = checked(aws, tmp_path, "image", plain_vars(registry, inputs, name, image_cpu_architecture="ARM64"))
    expected = compute_tag(inputs, Path(DOCKERFILE), platform="linux/arm64")
    assert run.facts["image_tag"] == expected.tag
    assert run.facts["image_tag"].endswith("-arm64")
    assert run.facts["image_tag"] != compute_tag(inputs, Path(DOCKERFILE)).tag
    [report] = run.results(REPORT_TASK.split(" : ", 1)[1])
    assert "for linux/arm64 with podman" in report["msg"]
    assert registry.tags(name) == []


def test_one_changed_byte_in_src_gives_another_tag(
    aws: MotoServer, podman_env: PodmanHost, registry: LocalRegistry, inputs: Path, tmp_path: Path
) -> None:
    changed = tmp_path / "changed"
    subprocess.run(["git", "clone", "-q", str(inputs), str(changed)], check=True, env=GIT_ENV)
    module = changed / "src/dagster_ecs/__init__.py"
    module.write_bytes(module.read_bytes() + b" ")
    commit_all(changed, "one more byte")
    before = checked(aws, tmp_path / "before", "image", plain_vars(registry, inputs, "x/y"))
    after = checked(aws, tmp_path / "after", "image", plain_vars(registry, changed, "x/y"))
    assert after.facts["image_tag"] != before.facts["image_tag"]
    assert after.facts["image_tag"] == compute_tag(changed, Path(DOCKERFILE)).tag


def test_uncommitted_inputs_are_refused_unless_allowed(
    aws: MotoServer, podman_env: PodmanHost, registry: LocalRegistry, inputs: Path, tmp_path: Path
) -> None:
    dirty = tmp_path / "dirty"
    subprocess.run(["git", "clone", "-q", str(inputs), str(dirty)], check=True, env=GIT_ENV)
    (dirty / "src/dagster_ecs/__init__.py").write_text("# not committed\n")
    requests_before = len(registry.requests())
    refused = run_role(tmp_path / "refused", "image", plain_vars(registry, dirty, "x/dirty"), aws=aws)
    assert refused.rc != 0
    [failure] = refused.failures
    assert "image_allow_dirty" in failure["msg"]
    assert "src/dagster_ecs/__init__.py" in failure["msg"]
    assert registry.requests()[requests_before:] == [], "refused after asking the registry"

    allowed = checked(
        aws, tmp_path / "allowed", "image", plain_vars(registry, dirty, "x/dirty", image_allow_dirty=True)
    )
    assert allowed.facts["image_tag"].endswith("-dirty")


def test_auto_takes_podman_when_no_docker_daemon_answers_and_docker_without_one_is_refused(
    aws: MotoServer, podman_env: PodmanHost, registry: LocalRegistry, inputs: Path, tmp_path: Path
) -> None:
    no_daemon = {"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"}  # whether or not a docker CLI is installed
    role_vars = plain_vars(registry, inputs, "x/builder", image_builder="auto")
    auto = run_role(tmp_path / "auto", "image", role_vars, aws=aws, env=no_daemon, check=True)
    assert auto.rc == 0, auto.failures
    [report] = auto.results(REPORT_TASK.split(" : ", 1)[1])
    assert report["msg"].endswith("with podman.")

    docker = run_role(tmp_path / "docker", "image", {**role_vars, "image_builder": "docker"}, aws=aws, env=no_daemon)
    assert docker.rc != 0
    [failure] = docker.failures
    assert "Docker daemon does not answer" in failure["msg"]


# ---------------------------------------------------------------------------------------------- ECR (emulator)


def ecr_vars(checkout: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "image_repository_uri": ECR_URI,
        "image_context_dir": str(checkout),
        "image_dockerfile": DOCKERFILE,
        "image_builder": "podman",
        **overrides,
    }


def put_image(tag: str) -> None:
    """An image manifest under `tag`, as a push would leave it (moto stores the manifest, not the layers)."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:" + "a" * 64,
        },
        "layers": [],
    }
    boto3.client("ecr").put_image(repositoryName=ECR_NAME, imageManifest=json.dumps(manifest), imageTag=tag)


@pytest.fixture
def ecr_repository(aws: MotoServer) -> MotoServer:
    repository = boto3.client("ecr").create_repository(repositoryName=ECR_NAME, imageTagMutability="IMMUTABLE")
    assert repository["repository"]["repositoryUri"] == ECR_URI
    return aws


def test_a_tag_already_in_ecr_is_neither_built_nor_pushed(
    ecr_repository: MotoServer, inputs: Path, tmp_path: Path
) -> None:
    tag = compute_tag(inputs, Path(DOCKERFILE)).tag
    put_image(tag)
    run = run_role(tmp_path, "image", ecr_vars(inputs, image_builder="auto"), aws=ecr_repository)
    assert run.rc == 0, run.failures
    assert run.changed == []
    assert not ran(run, BUILDER_PROBE), "the role looked for a builder it does not need"
    assert run.facts["image_uri"] == f"{ECR_URI}:{tag}"
    assert [f"{call.service}:{call.action}" for call in run.calls] == ["ecr:DescribeImages"]


def test_check_mode_with_the_tag_missing_from_ecr_reports_the_push_and_writes_nothing(
    ecr_repository: MotoServer,
    podman_env: PodmanHost,  # the builder's probe reads this configuration's storage
    inputs: Path,
    tmp_path: Path,
) -> None:
    put_image("an-older-tag")
    run = checked(ecr_repository, tmp_path, "image", ecr_vars(inputs))
    assert run.changed == [REPORT_TASK]
    assert [f"{call.service}:{call.action}" for call in run.calls] == ["ecr:DescribeImages"]


def test_check_mode_on_a_new_account_reports_the_push_without_a_uri(
    aws: MotoServer, podman_env: PodmanHost, inputs: Path, tmp_path: Path
) -> None:
    run = checked(aws, tmp_path, "image", ecr_vars(inputs, image_repository_uri=""))
    assert run.changed == [REPORT_TASK]
    assert run.facts["image_uri"] == ""
    assert run.facts["image_tag"] == compute_tag(inputs, Path(DOCKERFILE)).tag
    assert run.calls == [], "nothing to look up before the repository exists"


def test_tag_only_when_nothing_is_built_or_pushed(aws: MotoServer, inputs: Path, tmp_path: Path) -> None:
    """inventory/local: the emulator's ECR holds no images, so the role only names the image."""
    run = run_role(
        tmp_path, "image", ecr_vars(inputs, image_build=False, image_push=False, image_allow_dirty=True), aws=aws
    )
    assert run.rc == 0, run.failures
    assert run.changed == []
    assert run.facts["image_uri"] == f"{ECR_URI}:{compute_tag(inputs, Path(DOCKERFILE)).tag}"
    assert run.calls == []


# (variable, bad value, text the failure must contain)
BAD_INPUTS: list[tuple[str, Any, str]] = [
    ("image_repository_uri", "Registry.example.com/Dagster", "image_repository_uri"),
    ("image_repository_uri", "registry.example.com/dagster", "image_repository_uri"),  # not ECR
    ("image_registry_insecure", True, "image_registry_insecure"),  # with ECR
    ("image_context_dir", "relative/path", "image_context_dir"),
    ("image_dockerfile", "../Dockerfile", "image_dockerfile"),
    ("image_build_args", {"BAD-NAME": "x"}, "image_build_args"),
    ("image_build_options", ["--tag", "other:latest"], "image_build_options"),
    ("image_build_options", ["--platform=linux/arm64"], "image_build_options"),
    ("image_cpu_architecture", "AMD64", "image_cpu_architecture"),  # argument_specs' choices
    ("image_ca_bundle", "/no/such/bundle.pem", "image_ca_bundle"),
    ("image_push", "sometimes", "image_push"),  # argument_specs' own type check
]


@pytest.mark.parametrize(("variable", "value", "named"), BAD_INPUTS, ids=[f"{v}={x!r}"[:60] for v, x, _ in BAD_INPUTS])
def test_bad_input_fails_before_any_aws_call(
    aws: MotoServer, inputs: Path, tmp_path: Path, variable: str, value: Any, named: str
) -> None:
    failure = rejection(aws, tmp_path, "image", {**ecr_vars(inputs), variable: value})
    assert named in failure_message(failure), failure_message(failure)
