"""The platform's own DAG trees: tests of the platform build one of these instead of reading the checkout's dags/.

A data engineer adds repositories and DAGs to dags/ (`new-repo repo-2`, `new-dag main sales`); a test that
listed or named them would break on their first commit.
"""

import shutil
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# The scaffold's default template is part of the product, so the fixture tree holds the shipped one.
TEMPLATE = REPO_ROOT / "dags" / "main" / "template_dag.py"
REPOSITORIES = ["main", "reports"]

WEEKLY_DAG = '''"""A one-asset DAG of the fixture tree."""

from dagster import AssetSelection, asset, define_asset_job

from dagster_ecs import get_repository_resources


@asset(key_prefix=["repos", "weekly"], group_name="weekly")
def weekly_summary() -> int:
    return 7


defs = get_repository_resources(
    repository_name="weekly",
    assets=[weekly_summary],
    jobs=[define_asset_job("weekly_pipeline", selection=AssetSelection.groups("weekly"))],
)
'''


def make_dags_tree(root: Path) -> Path:
    """dags/ under `root`: main holding the template, reports holding the `weekly` DAG; returns its path."""
    dags = root / "dags"
    (dags / "main").mkdir(parents=True)
    shutil.copyfile(TEMPLATE, dags / "main" / "template_dag.py")
    (dags / "reports").mkdir()
    (dags / "reports" / "weekly.py").write_text(WEEKLY_DAG)
    return dags
