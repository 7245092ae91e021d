"""Pre-flight: the repository is loaded in a separate process, as its code server would load the published copy."""

import json
from pathlib import Path

import pytest

from dagster_ecs.publish.errors import PreflightError
from dagster_ecs.publish.preflight import LoadedDefinitions, main, preflight
from tests.support.publish_trees import write_tree

DAG = """
from dagster import asset, define_asset_job
from dagster_ecs import get_repository_resources
from ._values import VALUE

@asset(key_prefix=["repos", "sales"])
def orders() -> int:
    return VALUE

defs = get_repository_resources(repository_name="sales", assets=[orders], jobs=[define_asset_job("sales_pipeline")])
"""


@pytest.fixture(autouse=True)
def _local_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    for name in ("S3_BUCKET", "DAGSTER_ECS_ENVIRONMENT", "DAGSTER_ECS_LOCAL_STORAGE"):
        monkeypatch.delenv(name, raising=False)


def load_in_this_process(source: Path, tmp_path: Path) -> dict[str, object]:
    """The preflight child's own entry point, run here: same code, without paying for a new interpreter."""
    output = tmp_path / "result.json"
    main(["main", str(source), str(output)])
    return json.loads(output.read_text())


def test_a_loading_repository_reports_its_assets_and_jobs(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "main", {"sales.py": DAG, "_values.py": "VALUE = 1\n"})
    loaded = preflight(source, "main")
    assert loaded == LoadedDefinitions(asset_keys=("repos/sales/orders",), job_names=("sales_pipeline",))
    assert not list(source.rglob("__pycache__")), "the preflight must not write bytecode into the source"


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    source = write_tree(
        tmp_path / "main",
        {"sales.py": DAG, "_values.py": "VALUE = 1\n", "broken.py": "from dagster import asset\n\ndef oops(:\n"},
    )
    with pytest.raises(PreflightError) as raised:
        preflight(source, "main")
    message = str(raised.value)
    assert f"{source / 'broken.py'}, line 3: SyntaxError" in message
    assert "def oops(:" in message


def test_an_error_in_a_helper_names_the_helper_and_the_dag_file(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "main", {"sales.py": DAG, "_values.py": "import os\n\nVALUE = 1 / 0\n"})
    result = load_in_this_process(source, tmp_path)
    assert result == {
        "error": f"{source / '_values.py'}, line 3: ZeroDivisionError: division by zero "
        f"(while loading {source / 'sales.py'})"
    }


def test_files_that_are_not_published_are_not_loaded(tmp_path: Path) -> None:
    source = write_tree(
        tmp_path / "main",
        {
            "sales.py": DAG,
            "_values.py": "VALUE = 1\n",
            "scratch.py": "raise RuntimeError('work in progress')\n",
            "test_sales.py": "raise RuntimeError('a test, not a DAG')\n",
            ".dagsterignore": "scratch.py\n",
        },
    )
    assert load_in_this_process(source, tmp_path) == {
        "asset_keys": ["repos/sales/orders"],
        "job_names": ["sales_pipeline"],
    }


def test_importing_a_file_that_is_not_published_is_refused(tmp_path: Path) -> None:
    source = write_tree(
        tmp_path / "main", {"sales.py": DAG, "_values.py": "VALUE = 1\n", ".dagsterignore": "_values.py\n"}
    )
    result = load_in_this_process(source, tmp_path)
    assert result == {
        "error": f"{source / '_values.py'}: imported while loading, but not published (tests, dot-files and "
        ".dagsterignore entries are left out); the code server would fail to import it"
    }
