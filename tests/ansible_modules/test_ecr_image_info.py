"""dagster_ecs.aws.ecr_image_info run through PlaybookRunner against the emulator: which tags ECR already holds."""

import json
from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import MotoServer

NAME = "dagster-ecs-test/dagster"


@pytest.fixture
def ecr(aws: MotoServer) -> Any:
    client = boto3.client("ecr")
    client.create_repository(repositoryName=NAME, imageTagMutability="IMMUTABLE")
    return client


def push_manifest(ecr: Any, tag: str, config_digest: str) -> str:
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 2,
            "digest": config_digest,
        },
        "layers": [],
    }
    image = ecr.put_image(repositoryName=NAME, imageManifest=json.dumps(manifest), imageTag=tag)["image"]
    return image["imageId"]["imageDigest"]


def test_present_and_missing_tags_are_told_apart(playbook: PlaybookRunner, ecr: Any) -> None:
    digest = push_manifest(ecr, "abc123-0011", "sha256:" + "b" * 64)
    [result] = playbook.run(
        [{"dagster_ecs.aws.ecr_image_info": {"repository_name": NAME, "image_tags": ["abc123-0011", "def456-2233"]}}],
        check=True,  # read-only: not a single write call, even in check mode
    )
    assert result["changed"] is False
    assert result["repository_exists"] is True
    assert result["missing_tags"] == ["def456-2233"]
    [image] = result["images"]
    assert image["image_digest"] == digest
    assert image["image_tags"] == ["abc123-0011"]


def test_a_missing_repository_means_every_tag_is_missing(playbook: PlaybookRunner, aws: MotoServer) -> None:
    result = playbook.module("dagster_ecs.aws.ecr_image_info", repository_name="nothing/here", image_tags=["v1"])
    assert result["repository_exists"] is False
    assert result["missing_tags"] == ["v1"]
    assert result["images"] == []


def test_the_registry_id_selects_the_account(playbook: PlaybookRunner, ecr: Any) -> None:
    push_manifest(ecr, "v1", "sha256:" + "c" * 64)
    mine = playbook.module(
        "dagster_ecs.aws.ecr_image_info", repository_name=NAME, registry_id="123456789012", image_tags=["v1"]
    )
    assert mine["missing_tags"] == []
