"""Discovery of repositories and DAG files, and merging them into one location per repository."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from dagster import AssetKey

from dagster_ecs.definitions import get_repository_resources
from dagster_ecs.discovery import dag_files, discover_repositories
from dagster_ecs.location import RepositoryLoadError, load_repository
from dagster_ecs.names import InvalidNameError
from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import apply_release
from dagster_ecs.s3_prefix import S3PrefixResource

ASSET_FILE = """
from dagster import asset, define_asset_job
from dagster_ecs import get_repository_resources

@asset(key_prefix=["repos", "{dag}"])
def {dag}_value() -> int:
    return 1

defs = get_repository_resources(
    repository_name="{dag}", assets=[{dag}_value], jobs=[define_asset_job("{dag}_pipeline")]
)
"""


def write_dag(directory: Path, dag: str, text: str | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{dag}.py"
    path.write_text(textwrap.dedent(text) if text is not None else ASSET_FILE.format(dag=dag))
    return path


@pytest.fixture(autouse=True)
def _local_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name in ("S3_BUCKET", "DAGSTER_ECS_ENVIRONMENT", "DAGSTER_ECS_LOCAL_STORAGE"):
        monkeypatch.delenv(name, raising=False)


def test_repositories_are_the_directories_under_dags(tmp_path: Path) -> None:
    for name in ("main", "repo-2", "__pycache__", ".hidden"):
        (tmp_path / name).mkdir()
    (tmp_path / "__init__.py").write_text("")
    assert [r.name for r in discover_repositories(tmp_path)] == ["main", "repo-2"]


def test_a_badly_named_repository_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "Repo_2").mkdir()
    with pytest.raises(InvalidNameError, match="Repo_2"):
        discover_repositories(tmp_path)


def test_dag_files_skip_private_modules_and_tests(tmp_path: Path) -> None:
    for name in ("a.py", "b.py", "__init__.py", "_helpers.py", "test_a.py", "a_test.py", "conftest.py", "notes.txt"):
        (tmp_path / name).write_text("")
    assert [p.name for p in dag_files(tmp_path)] == ["a.py", "b.py"]


def test_every_dag_file_of_a_repository_merges_into_one_location(tmp_path: Path) -> None:
    repo = tmp_path / "dags" / "repo-2"
    write_dag(repo, "first")
    write_dag(repo, "second")
    defs = load_repository("repo-2", repo)
    assert set(defs.resolve_all_asset_keys()) == {
        AssetKey(["repos", "first", "first_value"]),
        AssetKey(["repos", "second", "second_value"]),
    }
    assert {job.name for job in defs.resolve_all_job_defs()} >= {"first_pipeline", "second_pipeline"}
    s3 = (defs.resources or {})["s3"]
    assert isinstance(s3, S3PrefixResource)
    assert s3.prefix == "repos/repo-2/"


def test_the_directory_not_the_dag_name_decides_the_prefix(tmp_path: Path) -> None:
    """A DAG calling itself "main" inside repo-2 still stores under repos/repo-2/."""
    repo = tmp_path / "dags" / "repo-2"
    write_dag(repo, "main")
    defs = load_repository("repo-2", repo)
    result = defs.resolve_implicit_global_asset_job_def().execute_in_process()
    assert result.success
    objects = tmp_path / "home" / "objects"
    assert sorted(p.relative_to(objects).as_posix() for p in objects.rglob("*") if p.is_file()) == [
        "repos/repo-2/repos/main/main_value"
    ]


def test_files_can_import_their_siblings(tmp_path: Path) -> None:
    repo = tmp_path / "dags" / "main"
    (repo).mkdir(parents=True)
    (repo / "_shared.py").write_text("ANSWER = 42\n")
    write_dag(
        repo,
        "uses_helper",
        """
        from dagster import asset
        from dagster_ecs import get_repository_resources
        from ._shared import ANSWER

        @asset
        def answer() -> int:
            return ANSWER

        defs = get_repository_resources(repository_name="uses_helper", assets=[answer])
        """,
    )
    defs = load_repository("main", repo)
    assert defs.resolve_implicit_global_asset_job_def().execute_in_process().output_for_node("answer") == 42


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    repo = tmp_path / "dags" / "main"
    write_dag(repo, "good")
    broken = write_dag(repo, "broken", "def oops(:\n")
    with pytest.raises(RepositoryLoadError, match=rf"{broken}.*SyntaxError"):
        load_repository("main", repo)


def test_a_repository_with_no_dags_still_has_its_storage(tmp_path: Path) -> None:
    repo = tmp_path / "dags" / "empty"
    repo.mkdir(parents=True)
    defs = load_repository("empty", repo)
    assert defs.resolve_all_asset_keys() == []
    assert (defs.resources or {})["s3"].prefix == "repos/empty/"


def test_dag_outside_a_repository_directory_is_refused(tmp_path: Path) -> None:
    stray = tmp_path / "Not A Repo"
    path = write_dag(stray, "stray")
    namespace: dict[str, object] = {}
    with pytest.raises(InvalidNameError, match="not inside a DAG repository directory"):
        exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102 - loads the DAG as a script would


def test_get_repository_resources_requires_a_name() -> None:
    with pytest.raises(InvalidNameError, match="repository_name"):
        get_repository_resources(repository_name=" ")


def test_a_published_release_can_import_its_repository_as_dags_package(tmp_path: Path) -> None:
    """DAG code written in the checkout imports `dags.<repo>.resources`; served from `releases/<id>/` on EFS (no
    `dags/` directory, and in the image no checkout on sys.path) the same import must work. Loaded in a process
    whose working directory is not the checkout, as a code server in the image is."""
    source = tmp_path / "checkout" / "dags" / "shipped"
    source.mkdir(parents=True)
    (source / "resources.py").write_text("PREFIX = ['repos', 'shipped']\n")
    (source / "shipped_dag.py").write_text(
        textwrap.dedent("""
            from dagster import Definitions, asset
            from dags.shipped.resources import PREFIX

            @asset(key_prefix=PREFIX)
            def value() -> int:
                return 1

            defs = Definitions(assets=[value])
        """)
    )
    efs = tmp_path / "efs"
    apply_release(efs / "shipped", build_manifest(source), DirectoryBlobs(source))
    script = textwrap.dedent(f"""
        from pathlib import Path
        from dagster_ecs.location import load_repository, served_directory
        directory = served_directory("shipped", Path({str(efs)!r}))
        assert directory.parent.name == "releases", directory
        defs = load_repository("shipped", directory)
        print(sorted(key.to_user_string() for key in defs.resolve_all_asset_keys()))
    """)
    run = tmp_path / "elsewhere"
    run.mkdir()
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=run, capture_output=True, text=True, check=False, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip() == "['repos/shipped/value']"
