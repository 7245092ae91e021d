"""dagster_ecs.aws.dag_publish and dag_apply (host mode) run through PlaybookRunner against the emulator's S3.

A local directory stands in for the repository's EFS directory, as in inventory/local and on a bastion. The
pre-flight (a Python process loading Dagster, several seconds each) runs where it is the subject; elsewhere
`preflight: false` keeps the tests quick.
"""

import difflib
import json
import shutil
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import live_manifest, releases, verify_release
from tests.ansible_modules.playbook import PlaybookRunner, task
from tests.ansible_modules.test_module_docs import compare, fragment_options, load

REPO_ROOT = Path(__file__).resolve().parents[2]
PUBLISH = "dagster_ecs.aws.dag_publish"
APPLY = "dagster_ecs.aws.dag_apply"
BUCKET = "dagster-ecs-test-bucket"
NO_FILES: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A copy of dags/main that the test may change."""
    copy = tmp_path / "dags" / "main"
    shutil.copytree(REPO_ROOT / "dags" / "main", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture
def target(tmp_path: Path) -> Path:
    """The repository's directory on the stand-in file system (its parent is the "mount point")."""
    (tmp_path / "efs").mkdir()
    return tmp_path / "efs" / "main"


@pytest.fixture
def bucket(playbook: PlaybookRunner) -> str:
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
    return BUCKET


def keys() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def live_json() -> dict[str, Any] | None:
    s3: Any = boto3.client("s3")
    try:
        return json.loads(s3.get_object(Bucket=BUCKET, Key="deployments/main/live.json")["Body"].read())
    except s3.exceptions.NoSuchKey:
        return None


def publish(source: Path, *, preflight: bool = False, **options: Any) -> dict[str, Any]:
    args = {"repository": source.name, "source": str(source), "bucket": BUCKET, "preflight": preflight}
    return task(PUBLISH, args, **options)


def apply(target: Path, manifest_key: str, **options: Any) -> dict[str, Any]:
    args = {"repository": "main", "mode": "host", "bucket": BUCKET, "manifest_key": manifest_key, "target": str(target)}
    return task(APPLY, args, **options)


def unified(diff: dict[str, str]) -> list[str]:
    return list(difflib.unified_diff(diff["before"].splitlines(), diff["after"].splitlines(), lineterm=""))


def test_a_change_is_loaded_staged_and_applied_once(
    playbook: PlaybookRunner, source: Path, target: Path, bucket: str
) -> None:
    expected = build_manifest(source)

    [checked] = playbook.run([publish(source)], check=True)
    assert checked["changed"] is True
    assert checked["files"] == {**NO_FILES, "added": sorted(expected.files)}
    assert checked["diff"]["before"] == ""
    assert "template_dag.py" in checked["diff"]["after"]
    assert keys() == []

    staged, applied, reapplied, unchanged = playbook.run(
        [
            publish(source, preflight=True, register="staged"),
            apply(target, "{{ staged.manifest_key }}"),
            apply(target, "{{ staged.manifest_key }}"),
            publish(source),
        ]
    )
    assert staged["changed"] is True
    assert staged["manifest_key"] == f"deployments/main/manifests/{expected.digest}.json"
    assert staged["definitions"]["job_names"] == ["template_pipeline"]
    assert "repos/template/template_output_data" in staged["definitions"]["asset_keys"]
    assert (applied["changed"], reapplied["changed"]) == (True, False)
    assert verify_release(target) == expected
    assert live_json() == json.loads(expected.to_json())
    assert (unchanged["changed"], unchanged["files"]) == (False, NO_FILES)
    # Only the repository's own deployment prefix: its blobs, the manifest, live.json.
    blobs = [f"deployments/main/blobs/{entry.sha256}" for entry in expected.files.values()]
    assert keys() == sorted({*blobs, staged["manifest_key"], "deployments/main/live.json"})


def test_an_out_of_band_change_is_reported_in_check_mode_then_only_it_is_sent(
    playbook: PlaybookRunner, source: Path, target: Path, bucket: str
) -> None:
    playbook.run([publish(source, register="staged"), apply(target, "{{ staged.manifest_key }}")])
    dag = source / "template_dag.py"
    dag.write_text(dag.read_text() + "\n# changed out of band\n")
    writes_before = playbook.write_count()

    [reported] = playbook.run([publish(source)], check=True)
    assert reported["changed"] is True
    assert reported["files"] == {**NO_FILES, "changed": ["template_dag.py"]}
    changed_lines = [line for line in unified(reported["diff"]) if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert [line.split()[0] for line in changed_lines] == ["-template_dag.py", "+template_dag.py"]
    assert playbook.write_count() == writes_before

    staged, switched = playbook.run([publish(source, register="staged"), apply(target, "{{ staged.manifest_key }}")])
    # Sent: the changed file's blob and the manifest (then the apply's live.json): nothing else again.
    puts = [write.split(" ", 1)[1] for write in playbook.writes()[writes_before:]]
    assert puts == [
        "/dagster-ecs-test-bucket/deployments/main/blobs/{id}",
        "/dagster-ecs-test-bucket/deployments/main/manifests/{id}.json",
        "/dagster-ecs-test-bucket/deployments/main/live.json",
    ]
    assert staged["files"] == {**NO_FILES, "changed": ["template_dag.py"]}
    assert switched["files"] == {**NO_FILES, "changed": ["template_dag.py"]}
    assert live_manifest(target) == build_manifest(source)
    assert len(releases(target)) == 2


def test_a_repository_that_does_not_load_is_not_staged_and_the_error_names_the_file(
    playbook: PlaybookRunner, source: Path, bucket: str
) -> None:
    (source / "broken_dag.py").write_text("from dagster import asset\n\nraise RuntimeError('no database here')\n")
    writes_before = playbook.write_count()
    [failed] = playbook.run([publish(source, preflight=True, ignore_errors=True)])
    assert failed["failed"] is True
    assert "broken_dag.py" in failed["msg"]
    assert "no database here" in failed["msg"]
    assert playbook.writes()[writes_before:] == []
    assert keys() == []


def test_rollback_switches_to_the_previous_release_and_records_it_live(
    playbook: PlaybookRunner, source: Path, target: Path, bucket: str
) -> None:
    first = build_manifest(source)
    playbook.run([publish(source, register="staged"), apply(target, "{{ staged.manifest_key }}")])
    (source / "extra.py").write_text("VALUE = 1\n")
    playbook.run([publish(source, register="staged"), apply(target, "{{ staged.manifest_key }}")])
    rollback = task(
        APPLY, {"repository": "main", "mode": "host", "action": "rollback", "bucket": BUCKET, "target": str(target)}
    )

    [checked] = playbook.run([rollback], check=True)
    assert checked["changed"] is True
    assert checked["files"] == {**NO_FILES, "removed": ["extra.py"]}
    assert live_manifest(target) == build_manifest(source)

    rolled, republish = playbook.run([rollback, publish(source)], check=False)
    assert rolled["release"] == releases(target)[0]
    assert live_manifest(target) == first
    assert live_json() == json.loads(first.to_json())
    # live.json names the rolled-back release, so the newer source is a change again.
    assert republish["files"] == {**NO_FILES, "added": ["extra.py"]}


def test_direct_publish_into_a_directory_needs_no_bucket(playbook: PlaybookRunner, source: Path, target: Path) -> None:
    compare_live = task(
        PUBLISH, {"repository": "main", "source": str(source), "live_target": str(target), "preflight": False}
    )
    direct = task(APPLY, {"repository": "main", "mode": "host", "source": str(source), "target": str(target)})
    calls_before = len(playbook.server.calls())
    staged, applied, same = playbook.run([compare_live, direct, compare_live])
    assert (staged["changed"], staged["manifest_key"]) == (True, "")
    assert applied["changed"] is True
    assert same["changed"] is False
    assert live_manifest(target) == build_manifest(source)
    assert playbook.server.calls()[calls_before:] == [], "a direct publish makes no AWS call"


def test_a_target_whose_mount_point_is_missing_is_refused(
    playbook: PlaybookRunner, source: Path, tmp_path: Path
) -> None:
    target = tmp_path / "not-mounted" / "main"
    direct = {"repository": "main", "mode": "host", "source": str(source), "target": str(target)}
    [refused] = playbook.run([task(APPLY, direct, ignore_errors=True)])
    assert refused["failed"] is True
    assert "mounted" in refused["msg"]
    assert not target.parent.exists()


def test_a_bad_repository_name_fails_before_any_aws_call(playbook: PlaybookRunner, source: Path) -> None:
    calls_before = len(playbook.server.calls())
    bad = task(PUBLISH, {"repository": "Main_Repo", "source": str(source), "bucket": BUCKET}, ignore_errors=True)
    [failed] = playbook.run([bad])
    assert failed["failed"] is True
    assert failed["msg"].startswith("repository:")
    assert playbook.server.calls()[calls_before:] == []


@pytest.mark.parametrize("name", ["dag_publish", "dag_apply", "dag_reload"])
def test_documentation_matches_argument_spec(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load(name, monkeypatch)
    documentation = yaml.safe_load(module.DOCUMENTATION)
    documented = dict(documentation["options"])
    for fragment in documentation.get("extends_documentation_fragment", []):
        documented.update({k: v for k, v in fragment_options(fragment).items() if k in module.ARGUMENT_SPEC})
    assert compare(module.ARGUMENT_SPEC, documented, "") == []
