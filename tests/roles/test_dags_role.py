"""The dags role: bad input fails before any AWS call naming the variable; Fargate delivery through the publisher
task (tests/support/fargate_agent.py plays Fargate's agent); the play ends saying which release is live; and going
live: after a publish the role reloads the code location through a real webserver and fails when it does not serve
what was published."""

import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from dagster_ecs.config.workspace import grpc_workspace
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import live_manifest
from tests.roles.runner import RoleRun, rejection, run_role
from tests.support.dagster_processes import DagsterGraphQL, DagsterProcesses, base_env
from tests.support.fargate_agent import fargate_agent
from tests.support.moto_server import MotoServer
from tests.support.publisher_stack import BUCKET, CLUSTER, make_publisher_stack

REPO_ROOT = Path(__file__).resolve().parents[2]

VALID: dict[str, Any] = {
    "dags_repositories": ["main"],
    "dags_source_dir": str(REPO_ROOT / "dags"),
    "dags_delivery": "host",
    "dags_bucket_name": BUCKET,
    "dags_target_dir": "/srv/dags",
}
FARGATE: dict[str, Any] = {
    **VALID,
    "dags_delivery": "fargate",
    "dags_cluster_name": CLUSTER,
    "dags_subnet_ids": ["subnet-0123456789abcdef0"],
    "dags_security_group_ids": ["sg-0123456789abcdef0"],
    "dags_task_definitions": {"publish_main": "dagster-ecs-test-publish-main:1"},
}

# (base input, variable, bad value, text the failure must contain)
BAD_INPUTS = [
    (VALID, "dags_repositories", ["Main_Repo"], "dags_repositories must name repositories"),
    (VALID, "dags_repositories", "main,main", "dags_repositories must name repositories"),
    (VALID, "dags_repositories", ["nope"], "dags_repositories: nope not found under dags_source_dir"),
    (VALID, "dags_delivery", "ssh", "dags_delivery"),
    (VALID, "dags_target_dir", "efs", "dags_target_dir"),
    (VALID, "dags_webserver_url", "localhost:3000", "dags_webserver_url"),
    (VALID, "dags_bucket_name", "", "dags_bucket_name"),
    (FARGATE, "dags_subnet_ids", ["subnet-x"], "dags_subnet_ids"),
    (FARGATE, "dags_task_definitions", {"code_server_main": "x:1"}, "dags_task_definitions has no publisher"),
]


@pytest.mark.parametrize(
    ("base", "variable", "value", "named"), BAD_INPUTS, ids=[f"{v}={x!r}" for _, v, x, _ in BAD_INPUTS]
)
def test_bad_input_fails_before_any_aws_call(
    aws: MotoServer, tmp_path: Path, base: dict[str, Any], variable: str, value: Any, named: str
) -> None:
    failure = rejection(aws, tmp_path, "dags", {**base, variable: value})
    assert named in str(failure.get("msg")), failure


def test_fargate_delivery_runs_the_publisher_task_once(aws: MotoServer, tmp_path: Path) -> None:
    stack = make_publisher_stack(tmp_path / "stack", ["main"])
    role_vars = {
        **FARGATE,
        "dags_source_dir": str(stack.sources),
        "dags_subnet_ids": stack.subnet_ids,
        "dags_security_group_ids": stack.security_group_ids,
        "dags_tags": {"Project": "dagster-ecs"},
    }
    with fargate_agent(aws.endpoint_url, CLUSTER, stack.mounts, aws.env()) as agent:
        published = run_role(tmp_path / "1", "dags", role_vars, aws=aws)
        again = run_role(tmp_path / "2", "dags", role_vars, aws=aws)
    assert published.rc == 0, published.failures
    [ran] = agent.ran
    assert ran.command[:4] == ["python", "-m", "dagster_ecs.publish", "apply"]
    assert live_manifest(stack.efs / "main") == build_manifest(stack.sources / "main")
    assert "dags_webserver_url is empty" in published.result("Say why the code location is not reloaded - main")["msg"]
    release = published.result("Apply in a one-off Fargate task - main")["release"]
    assert summary(published) == [f"main: release {release} went live (replacing nothing)"]
    assert again.rc == 0, again.failures
    assert again.changed == []
    assert again.writes == [], "no upload, no task: the live release is the source"
    # No task ran, so only the manifest digest names the release: its id ends in the digest's first 12 digits.
    assert summary(again) == [f"main: release ending in -{release.rsplit('-', 1)[1]} is live, unchanged"]


def test_the_play_ends_saying_which_release_went_live(aws: MotoServer, tmp_path: Path) -> None:
    sources, efs = tmp_path / "dags", tmp_path / "efs"
    shutil.copytree(REPO_ROOT / "dags" / "main", sources / "main", ignore=shutil.ignore_patterns("__pycache__"))
    efs.mkdir()
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    role_vars = {**VALID, "dags_source_dir": str(sources), "dags_target_dir": str(efs), "dags_preflight": False}
    applied = "Apply on the host that mounts the file system - main"

    first = run_role(tmp_path / "1", "dags", role_vars, aws=aws)
    assert first.rc == 0, first.failures
    release_1 = first.result(applied)["release"]
    assert summary(first) == [f"main: release {release_1} went live (replacing nothing)"]

    (sources / "main" / "extra_dag.py").write_text(EXTRA_DAG.format(name="extra_asset"))
    second = run_role(tmp_path / "2", "dags", role_vars, aws=aws)
    assert second.rc == 0, second.failures
    release_2 = second.result(applied)["release"]
    assert release_2 != release_1
    assert summary(second) == [f"main: release {release_2} went live (replacing {release_1})"]

    rollback = {**role_vars, "dags_action": "rollback"}
    checked_back = run_role(tmp_path / "3", "dags", rollback, aws=aws, check=True)
    assert checked_back.rc == 0, checked_back.failures
    assert summary(checked_back) == [f"main: would roll back from {release_2} to {release_1}"]
    assert checked_back.writes == [], "check mode wrote to the bucket"

    rolled_back = run_role(tmp_path / "4", "dags", rollback, aws=aws)
    assert rolled_back.rc == 0, rolled_back.failures
    assert summary(rolled_back) == [f"main: rolled back: release {release_1} is live (was {release_2})"]


@pytest.mark.e2e
def test_the_role_reloads_the_location_and_fails_when_it_does_not_serve_the_release(
    aws: MotoServer, tmp_path: Path
) -> None:
    sources, efs, elsewhere, home = (tmp_path / name for name in ("dags", "efs", "elsewhere", "home"))
    shutil.copytree(REPO_ROOT / "dags" / "main", sources / "main", ignore=shutil.ignore_patterns("__pycache__"))
    for directory in (efs, elsewhere, home):
        directory.mkdir()
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    role_vars = {**VALID, "dags_source_dir": str(sources), "dags_target_dir": str(efs), "dags_preflight": False}
    first = run_role(tmp_path / "1", "dags", role_vars, aws=aws)
    assert first.rc == 0, first.failures

    env = base_env({"DAGSTER_HOME": str(home), "DAGSTER_ECS_DAGS_DIR": str(efs)})
    with DagsterProcesses(tmp_path / "logs", env, cwd=tmp_path) as processes:
        server = processes.code_server("main")
        processes.wait_code_server(server)
        workspace = tmp_path / "workspace.yaml"
        workspace.write_text(yaml.safe_dump(grpc_workspace({"main": ("127.0.0.1", server.port or 0)})))
        webserver = processes.webserver(workspace)
        graphql = DagsterGraphQL(webserver.url, processes.diagnostics)
        graphql.wait_locations_settled(["main"], 90)

        (sources / "main" / "extra_dag.py").write_text(EXTRA_DAG.format(name="extra_asset"))
        live = {**role_vars, "dags_preflight": True, "dags_webserver_url": webserver.url}
        reloaded = run_role(tmp_path / "2", "dags", live, aws=aws)
        assert reloaded.rc == 0, f"{reloaded.failures}\n{processes.diagnostics()}"
        served = reloaded.result("Reload the code location and confirm it serves the published definitions - main")
        assert "extra_asset" in served["definitions"]["asset_keys"]
        assert "extra_asset" in asset_keys(graphql), "the running webserver serves the new asset"

        # Published where this code server does not read: the reload cannot show the new asset, and says so.
        (sources / "main" / "other_dag.py").write_text(EXTRA_DAG.format(name="other_asset"))
        # (A short reload timeout: the role waits that long for the new asset before it fails.)
        misdirected = run_role(
            tmp_path / "3", "dags", {**live, "dags_target_dir": str(elsewhere), "dags_reload_timeout": 20}, aws=aws
        )
    assert misdirected.rc != 0
    [failure] = misdirected.failures
    assert "not the published release" in failure["msg"]
    assert "asset keys missing: other_asset" in failure["msg"]


EXTRA_DAG = """from dagster import Definitions, asset


@asset
def {name}() -> int:
    return 1


defs = Definitions(assets=[{name}])
"""


def summary(run: RoleRun) -> list[str]:
    """The lines of the role's last task, which says which release is live in each repository."""
    return run.result("Say which release is live")["msg"]


def asset_keys(graphql: DagsterGraphQL) -> list[str]:
    nodes = graphql.execute("{ assetNodes { assetKey { path } } }")["assetNodes"]
    return ["/".join(node["assetKey"]["path"]) for node in nodes]
