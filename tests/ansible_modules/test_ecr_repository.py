"""dagster_ecs.aws.ecr_repository run through PlaybookRunner against the emulator."""

import json
from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner, task
from tests.support.moto_server import MotoServer

NAME = "dagster-ecs-test/dagster"
LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "Keep the last 3 images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 3},
            "action": {"type": "expire"},
        }
    ]
}


@pytest.fixture
def ecr(aws: MotoServer) -> Any:
    return boto3.client("ecr")


def make_repository(ecr: Any, tags: dict[str, str] | None = None) -> str:
    repository = ecr.create_repository(
        repositoryName=NAME,
        imageTagMutability="IMMUTABLE",
        imageScanningConfiguration={"scanOnPush": True},
        tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
    )["repository"]
    ecr.put_lifecycle_policy(repositoryName=NAME, lifecyclePolicyText=json.dumps(LIFECYCLE))
    return repository["repositoryArn"]


def tags_of(ecr: Any, arn: str) -> dict[str, str]:
    return {tag["Key"]: tag["Value"] for tag in ecr.list_tags_for_resource(resourceArn=arn)["tags"]}


def push_image(ecr: Any, tag: str) -> None:
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": "sha256:" + "b" * 64,
        },
        "layers": [],
    }
    ecr.put_image(repositoryName=NAME, imageManifest=json.dumps(manifest), imageTag=tag)


def ecr_repository(playbook: PlaybookRunner, *, check: bool = False, ignore_errors: bool = False, **args: Any) -> Any:
    """One ecr_repository task (PlaybookRunner.module takes `name` for the module's own name)."""
    [result] = playbook.run([task("dagster_ecs.aws.ecr_repository", args, ignore_errors=ignore_errors)], check=check)
    return result


def test_tags_are_set_and_purged_then_nothing_changes(playbook: PlaybookRunner, ecr: Any) -> None:
    arn = make_repository(ecr, {"Project": "dagster-ecs", "Owner": "someone"})
    wanted = {"Project": "dagster-ecs", "Environment": "test"}
    result = ecr_repository(playbook, name=NAME, tags=wanted)
    assert result["changed"] is True
    assert result["diff"]["before"]["tags"] == {"Project": "dagster-ecs", "Owner": "someone"}
    assert tags_of(ecr, arn) == wanted
    assert result["repository"]["tags"] == wanted
    assert result["repository"]["repository_arn"] == arn
    again = ecr_repository(playbook, name=NAME, tags=wanted)
    assert again["changed"] is False


def test_check_mode_reports_tag_changes_and_writes_nothing(playbook: PlaybookRunner, ecr: Any) -> None:
    arn = make_repository(ecr, {"Project": "dagster-ecs"})
    result = ecr_repository(playbook, check=True, name=NAME, tags={"Environment": "test"})
    assert result["changed"] is True
    assert result["repository"]["tags"] == {"Environment": "test"}
    assert tags_of(ecr, arn) == {"Project": "dagster-ecs"}


def test_purge_tags_false_keeps_other_tags(playbook: PlaybookRunner, ecr: Any) -> None:
    arn = make_repository(ecr, {"Owner": "someone"})
    ecr_repository(playbook, name=NAME, tags={"A": "1"}, purge_tags=False)
    assert tags_of(ecr, arn) == {"Owner": "someone", "A": "1"}


def test_tagging_a_missing_repository_fails(playbook: PlaybookRunner, ecr: Any) -> None:
    result = ecr_repository(playbook, ignore_errors=True, name=NAME, tags={})
    assert result["failed"] is True
    assert NAME in result["msg"]


def test_read_only_reads_settings_lifecycle_tags_and_images(playbook: PlaybookRunner, ecr: Any) -> None:
    arn = make_repository(ecr, {"Project": "dagster-ecs"})
    push_image(ecr, "v1")
    [result] = playbook.run(
        [{"dagster_ecs.aws.ecr_repository": {"name": NAME}}], check=True
    )  # read-only: no write call even in check mode
    repository = result["repository"]
    assert result["changed"] is False
    assert repository["repository_arn"] == arn
    assert repository["repository_uri"].endswith(f"/{NAME}")
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    assert repository["scan_on_push"] is True
    assert repository["encryption_configuration"] == {"encryption_type": "AES256"}
    assert repository["lifecycle_policy"] == LIFECYCLE
    assert repository["tags"] == {"Project": "dagster-ecs"}
    assert repository["image_count"] == 1


def test_read_only_of_a_missing_repository_is_empty(playbook: PlaybookRunner) -> None:
    [result] = playbook.run([{"dagster_ecs.aws.ecr_repository": {"name": NAME}}])
    assert result["repository"] == {}
