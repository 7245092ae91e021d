"""Publish and go live: a real webserver and code server serve a repository's published `current`; a change is
published, the location reloaded through GraphQL, and the new asset is served by the same processes. A broken
change is refused by the preflight; forced past it, the reload names the failing file and a rollback recovers."""

import subprocess
import sys
import threading
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


def test_the_reload_waits_for_the_published_release_not_only_the_same_definitions(
    tmp_path: Path, postgres: PostgresServer
) -> None:
    # Two releases with the same definitions (only a helper changed), so only the release id tells them apart.
    # A code server whose NFS client still caches the old `current` is stood in for by pointing `current` back
    # at the old release: the reload must not accept it, must reload again, and must succeed once it is served.
    source = write_tree(tmp_path / "source", {"live_dag.py": dag_source("only"), "_shared.py": "PREFIX = ['r']\n"})
    target = tmp_path / "dags" / REPOSITORY
    definitions = publish(source, target)
    old = live_release(target)
    (source / "_shared.py").write_text("PREFIX = ['r']  # edited\n")
    assert publish(source, target) == definitions
    new = live_release(target)
    assert old is not None
    assert new is not None
    assert old != new

    def point_current_at(release: str) -> None:
        (target / ".stale").symlink_to(f"releases/{release}")
        (target / ".stale").replace(target / "current")

    with serving(tmp_path / "run", REPOSITORY, tmp_path / "dags", postgres.dagster_env()) as live:
        live.graphql.wait_locations_settled([REPOSITORY], RELOAD_TIMEOUT)
        point_current_at(old)
        with pytest.raises(ReloadError, match=rf"still serves release {old} .*not the published release {new}"):
            reload_location(live.webserver.url, REPOSITORY, expected=definitions, timeout=20, release=new)

        # The cache catches up while the reload is waiting: a later reload serves the published release.
        timer = threading.Timer(5.0, point_current_at, [new])
        timer.start()
        try:
            served = reload_location(
                live.webserver.url, REPOSITORY, expected=definitions, timeout=RELOAD_TIMEOUT, release=new
            )
        finally:
            timer.cancel()
        assert served == definitions
