"""dagster_ecs.aws.image_content_tag run through PlaybookRunner: the module returns the content tag the library
computes (tests/unit/test_image_tag.py covers the computation), and says why it cannot."""

import subprocess
from pathlib import Path

from tests.ansible_modules.playbook import PlaybookRunner
from tests.unit.test_image_tag import GIT_ENV, commit_all, content_tag


def checkout(root: Path) -> Path:
    (root / "docker").mkdir(parents=True)
    (root / "docker/Dockerfile").write_text("FROM scratch\nCOPY app.txt /\n")
    (root / ".dockerignore").write_text("*\n!app.txt\n")
    (root / "app.txt").write_text("one\n")
    subprocess.run(["git", "-C", str(root), "init", "-q", "-b", "main"], check=True, env=GIT_ENV)
    commit_all(root, "initial")
    return root


def test_the_module_returns_the_content_tag(playbook: PlaybookRunner, tmp_path: Path) -> None:
    root = checkout(tmp_path / "checkout")
    (root / "app.txt").write_text("two\n")  # uncommitted
    result = playbook.module(
        "dagster_ecs.aws.image_content_tag",
        check=True,
        context=str(root),
        dockerfile="docker/Dockerfile",
        build_args={"BASE_IMAGE": "python:3.12-slim", "WORKERS": 2},
    )
    expected = content_tag(root, Path("docker/Dockerfile"), {"BASE_IMAGE": "python:3.12-slim", "WORKERS": "2"})
    assert result["changed"] is False
    assert result["tag"] == expected.tag
    assert result["tag"].endswith("-dirty")
    assert result["dirty"] is True
    assert result["dirty_paths"] == ["app.txt"]
    assert result["files"] == ["app.txt"]
    assert result["shallow"] is False


def test_the_platform_names_the_architecture_in_the_tag(playbook: PlaybookRunner, tmp_path: Path) -> None:
    root = checkout(tmp_path / "checkout")
    [amd64, arm64] = [
        playbook.module(
            "dagster_ecs.aws.image_content_tag", context=str(root), dockerfile="docker/Dockerfile", platform=platform
        )
        for platform in ("linux/amd64", "linux/arm64")
    ]
    assert amd64["tag"] == content_tag(root, Path("docker/Dockerfile"), platform="linux/amd64").tag
    assert amd64["tag"].endswith("-amd64")
    assert arm64["tag"].endswith("-arm64")
    assert amd64["digest"] != arm64["digest"]


def test_outside_a_checkout_the_module_fails_saying_why(playbook: PlaybookRunner, tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    result = playbook.module("dagster_ecs.aws.image_content_tag", ignore_errors=True, context=str(tmp_path))
    assert result["failed"] is True
    assert "not a git checkout" in result["msg"]
