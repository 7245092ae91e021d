"""Publish and go live: a real webserver and code server serve a repository's published `current`; a change is
published, the location reloaded through GraphQL, and the new asset is served by the same processes. A broken
change is refused by the preflight; forced past it, the reload names the failing file and a rollback recovers."""

import subprocess
import sys
from pathlib import Path

import pytest

from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.errors import ReloadError
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.preflight import LoadedDefinitions, preflight
from dagster_ecs.publish.release import apply_release, live_release, rollback
from dagster_ecs.publish.reload import reload_location
from tests.support.dagster_processes import live_family
from tests.support.live_dagster import serving
from tests.support.postgres import PostgresServer
from tests.support.publish_trees import write_tree

pytestmark = pytest.mark.e2e

REPOSITORY = "live"
RELOAD_TIMEOUT = 180  # two busy cores: a reload imports Dagster and the DAG files in a new process
DAG = """
from dagster import asset, define_asset_job
from dagster_ecs import get_repository_resources

from ._shared import PREFIX

{assets}

defs = get_repository_resources(
    repository_name="live", assets=[{names}], jobs=[define_asset_job("live_pipeline")]
)
"""


def dag_source(*names: str) -> str:
    assets = "\n\n".join(f"@asset(key_prefix=PREFIX)\ndef {name}() -> int:\n    return 1\n" for name in names)
    return DAG.format(assets=assets, names=", ".join(names))


def publish(source: Path, target: Path) -> LoadedDefinitions:
    loaded = preflight(source, REPOSITORY)
    apply_release(target, build_manifest(source), DirectoryBlobs(source))
    return loaded


def test_a_published_change_goes_live_without_restarting_anything(tmp_path: Path, postgres: PostgresServer) -> None:
    source = write_tree(
        tmp_path / "source",
        {"live_dag.py": dag_source("first_asset"), "_shared.py": "PREFIX = ['repos', 'live']\n"},
    )
    dags = tmp_path / "dags"
    target = dags / REPOSITORY
    first = publish(source, target)
    assert first.asset_keys == ("repos/live/first_asset",)

    with serving(tmp_path / "run", REPOSITORY, dags, postgres.dagster_env()) as live:
        live.graphql.wait_locations_settled([REPOSITORY], RELOAD_TIMEOUT)
        assert live.asset_keys(REPOSITORY) == {"repos/live/first_asset"}
        started = {process.name: process.pid for process in (live.code_server, live.webserver)}
        loaders_before = set(live_family(live.code_server.pid)) - {live.code_server.pid}

        (source / "live_dag.py").write_text(dag_source("first_asset", "second_asset"))
        second = publish(source, target)
        served = reload_location(live.webserver.url, REPOSITORY, expected=second, timeout=RELOAD_TIMEOUT)
        assert served == second
        assert live.asset_keys(REPOSITORY) == {"repos/live/first_asset", "repos/live/second_asset"}
        assert {p.name: p.pid for p in (live.code_server, live.webserver)} == started
        assert live.code_server.alive()
        assert live.webserver.alive()
        # The code server replaced its loader process (that is the reload), and stayed the same process itself.
        loaders_after = set(live_family(live.code_server.pid)) - {live.code_server.pid}
        assert loaders_after
        assert loaders_after != loaders_before

        # A broken change is refused before anything is published, and the served code stays as it was.
        live_before = live_release(target)
        (source / "live_dag.py").write_text(dag_source("first_asset", "second_asset") + "\nbroken = (\n")
        command = [sys.executable, "-m", "dagster_ecs.publish", "publish", str(source), str(target)]
        refused = subprocess.run(
            [*command, "--repository", REPOSITORY, "--webserver", live.webserver.url, "--no-hash-cache"],
            capture_output=True,
            text=True,
            timeout=RELOAD_TIMEOUT,
        )
        assert refused.returncode == 1
        assert f"{source / 'live_dag.py'}, line" in refused.stderr
        assert "SyntaxError" in refused.stderr
        assert live_release(target) == live_before
        assert reload_location(live.webserver.url, REPOSITORY, expected=second, timeout=RELOAD_TIMEOUT) == second
        assert live.asset_keys(REPOSITORY) == {"repos/live/first_asset", "repos/live/second_asset"}
        assert live.code_server.alive()
        assert live.webserver.alive()

        # Forced past the preflight, the broken release goes live and the reload reports the code server's load
        # error, naming the file; a rollback and a reload serve the previous release again.
        forced = subprocess.run(
            [*command, "--repository", REPOSITORY, "--no-preflight", "--no-hash-cache"],
            capture_output=True,
            text=True,
            timeout=RELOAD_TIMEOUT,
        )
        assert forced.returncode == 0, forced.stderr
        with pytest.raises(ReloadError, match=r"failed to load: .*live_dag\.py"):
            reload_location(live.webserver.url, REPOSITORY, expected=second, timeout=RELOAD_TIMEOUT)
        assert rollback(target).release == live_before
        assert reload_location(live.webserver.url, REPOSITORY, expected=second, timeout=RELOAD_TIMEOUT) == second
        assert {p.name: p.pid for p in (live.code_server, live.webserver)} == started
        with pytest.raises(ReloadError, match="RepositoryLocationNotFound"):
            reload_location(live.webserver.url, "not-served", timeout=RELOAD_TIMEOUT)
