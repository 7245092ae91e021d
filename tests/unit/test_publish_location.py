"""The code-location loader serves a published repository's live release, resolved at each load."""

from pathlib import Path

import pytest

from dagster_ecs.location import RepositoryLoadError, load_repository, served_directory
from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import apply_release
from tests.support.publish_trees import write_tree

DAG = """
from dagster import asset
from dagster_ecs import get_repository_resources

@asset
def {name}() -> int:
    return 1

defs = get_repository_resources(repository_name="main", assets=[{name}])
"""


@pytest.fixture(autouse=True)
def _local_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name in ("S3_BUCKET", "DAGSTER_ECS_ENVIRONMENT", "DAGSTER_ECS_LOCAL_STORAGE"):
        monkeypatch.delenv(name, raising=False)


def asset_names(directory: Path) -> set[str]:
    return {key.to_user_string() for key in load_repository("main", directory).resolve_all_asset_keys()}


def test_a_published_repository_is_served_from_its_live_release(tmp_path: Path) -> None:
    source, dags = tmp_path / "source", tmp_path / "dags"
    write_tree(source, {"dag.py": DAG.format(name="first_asset")})
    first = apply_release(dags / "main", build_manifest(source), DirectoryBlobs(source))
    served = served_directory("main", dags)
    assert served == (dags / "main" / "releases" / first.release).resolve()
    assert asset_names(served) == {"first_asset"}

    (source / "dag.py").write_text(DAG.format(name="second_asset"))
    second = apply_release(dags / "main", build_manifest(source), DirectoryBlobs(source))
    served = served_directory("main", dags)
    assert served.name == second.release, "each load resolves current anew"
    assert asset_names(served) == {"second_asset"}


def test_a_plain_checkout_is_served_as_it_is(tmp_path: Path) -> None:
    write_tree(tmp_path / "dags" / "main", {"dag.py": DAG.format(name="checked_out")})
    assert served_directory("main", tmp_path / "dags") == tmp_path / "dags" / "main"
    assert asset_names(served_directory("main", tmp_path / "dags")) == {"checked_out"}


def test_a_dangling_current_is_a_load_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "dags" / "main").mkdir(parents=True)
    (tmp_path / "dags" / "main" / "current").symlink_to("releases/gone")
    with pytest.raises(RepositoryLoadError, match=r"main/current does not lead to a release"):
        served_directory("main", tmp_path / "dags")
