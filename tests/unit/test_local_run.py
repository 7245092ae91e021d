"""`dagster-ecs dev`: the generated dagster.yaml and workspace.yaml it writes, and what it refuses."""

import socket
from pathlib import Path

import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config
from dagster._core.workspace.config_schema import process_workspace_config

from dagster_ecs.cli import main
from dagster_ecs.local_run import prepare_local_run
from tests.unit.dag_trees import REPO_ROOT, make_dags_tree


def validated_instance(tmp_path: Path, config: dict) -> dict:
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config))
    validated, _ = dagster_instance_config(str(tmp_path))
    return dict(validated)


def test_prepare_local_run_writes_both_files(checkout_dags: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    workspace_path, env = prepare_local_run(checkout_dags, {"DAGSTER_HOME": str(home)})
    assert workspace_path == home / "workspace.yaml"
    assert env["DAGSTER_ECS_DAGS_DIR"] == str(checkout_dags)
    validated_instance(tmp_path, yaml.safe_load((home / "dagster.yaml").read_text()))
    assert process_workspace_config(yaml.safe_load(workspace_path.read_text())).success


def test_prepare_local_run_with_bad_input_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="S3_BUCKET is not set"):
        prepare_local_run(REPO_ROOT / "dags", {"DAGSTER_HOME": str(home), "DAGSTER_ECS_ENVIRONMENT": "prod"})
    assert not home.exists()


def test_dev_on_a_busy_port_fails_before_starting_anything(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    home = tmp_path / "home"
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DAGSTER_HOME", str(home))
            argv = ["--dags-dir", str(make_dags_tree(tmp_path)), "dev", "--host", "127.0.0.1", "--port", str(port)]
            assert main(argv) == 2
    assert f"127.0.0.1:{port} is in use" in capsys.readouterr().err
    assert not home.exists(), "nothing is generated for a dev that cannot start"
