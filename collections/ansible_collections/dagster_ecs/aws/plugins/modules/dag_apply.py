#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: dag_apply
short_description: Make a staged DAG release live in a repository's EFS directory, or roll it back
version_added: 0.1.0
description:
  - Applies the manifest O(manifest_key) staged by M(dagster_ecs.aws.dag_publish) to the repository's target
    directory, or with O(action=rollback) switches it back to the release that was live before. A release is
    assembled completely (unchanged files reused from the live release, only new content read from the staging),
    then the C(current) symlink is switched by one atomic rename; the last O(keep) releases are kept. A lock
    serialises publishes and rollbacks of the same repository.
  - After the switch C(s3://<bucket>/deployments/<repo>/live.json) holds the live release's manifest, so the next
    M(dagster_ecs.aws.dag_publish) compares with what is live.
  - O(mode=fargate) (the default on AWS, where EFS is reachable only inside the VPC) runs a one-off Fargate task of
    the repository's publisher task definition (the Dagster image with the repository's access point mounted
    read-write) with the command C(python -m dagster_ecs.publish apply ...), in private subnets without a public
    IP, waits for it to stop, and fails with the task's CloudWatch log lines when it exits non-zero or never runs.
    Nothing is started when C(live.json) already equals the manifest (unless O(force)).
  - O(mode=host) applies with the same library on the host that runs the module, which must have the repository's
    EFS directory (or a local directory standing in for it) at O(target), e.g. a bastion through C(delegate_to). It
    reads the content from the S3 staging, or with O(source) straight from a directory on that host.
  - Supports check mode (reports what would change; starts no task, writes nothing) and diff mode (file listings).
author: dagster-ecs maintainers
options:
  repository:
    description: Repository name.
    type: str
    required: true
  action:
    description: V(apply) makes O(manifest_key) (or O(source)) live; V(rollback) switches back to the previous release.
    type: str
    choices: [apply, rollback]
    default: apply
  mode:
    description: Where the apply runs. V(fargate) in a one-off ECS task; V(host) on this host.
    type: str
    choices: [fargate, host]
    default: fargate
  bucket:
    description: The bucket holding the staging (C(deployments/<repository>/)). Required except for a direct
      O(mode=host) apply from O(source); with O(mode=host) and O(action=rollback) it updates C(live.json).
    type: str
  manifest_key:
    description: Key of the staged manifest (the C(manifest_key) of M(dagster_ecs.aws.dag_publish)).
    type: str
  source:
    description: With O(mode=host) and O(action=apply), apply this repository source directory directly (no staging).
    type: path
  target:
    description:
      - The repository's directory. With O(mode=host) on this host; it is created when missing, but its parent (the
        mount point) must exist. With O(mode=fargate) inside the container; by default the container's only
        writable mount point.
    type: str
  keep:
    description: Releases kept in the target directory (the live one and the one before it are never removed).
    type: int
    default: 5
  lock_timeout:
    description: Seconds to wait for a concurrent publish or rollback of the same repository.
    type: float
    default: 600
  force:
    description: With O(mode=fargate), start the task even when C(live.json) already equals the manifest.
    type: bool
    default: false
  cluster:
    description: ECS cluster to run the publisher task in (O(mode=fargate)).
    type: str
  task_definition:
    description: The repository's publisher task definition, C(family) or C(family:revision) (O(mode=fargate)).
    type: str
  container_name:
    description: The container that runs the publisher; by default the task definition's only container.
    type: str
  subnets:
    description: Private subnets of the task (O(mode=fargate)); it gets no public IP.
    type: list
    elements: str
  security_groups:
    description: Security groups of the task (O(mode=fargate)); they must reach EFS (2049) and the AWS APIs.
    type: list
    elements: str
  tags:
    description: Tags of the task (the task definition's are propagated too).
    type: dict
    default: {}
  wait_timeout:
    description: Seconds to wait for the task to stop; then it is stopped and the module fails.
    type: int
    default: 900
  poll_interval:
    description: Seconds between two looks at the task and its log.
    type: float
    default: 6
  log_lines:
    description: Last lines of the task's log returned (and shown on failure).
    type: int
    default: 50
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Apply the staged release of main in a one-off Fargate task
  dagster_ecs.aws.dag_apply:
    repository: main
    bucket: dagster-ecs-dev-123456789012
    manifest_key: "{{ staged.manifest_key }}"
    cluster: dagster-ecs-dev
    task_definition: dagster-ecs-dev-publish-main
    subnets: [subnet-0123456789abcdef0, subnet-0123456789abcdef1]
    security_groups: [sg-0123456789abcdef0]
  when: staged is changed

- name: Apply it on a bastion that has the file system mounted
  dagster_ecs.aws.dag_apply:
    repository: main
    mode: host
    bucket: dagster-ecs-dev-123456789012
    manifest_key: "{{ staged.manifest_key }}"
    target: /mnt/dags/main
  delegate_to: bastion

- name: Roll main back to the previous release
  dagster_ecs.aws.dag_apply:
    repository: main
    action: rollback
    mode: host
    bucket: dagster-ecs-dev-123456789012
    target: /mnt/dags/main
  delegate_to: bastion
"""

RETURN = r"""
release:
  description: The live release after the task (in check mode, the live one, or the one a rollback would switch to).
  returned: when known
  type: str
  sample: 20240101T120000000000Z-0123456789ab
previous:
  description: The release live before the task.
  returned: when known
  type: str
files:
  description: Paths added, changed and removed by the switch.
  returned: always
  type: dict
  contains:
    added:
      description: New files.
      type: list
      elements: str
    changed:
      description: Files whose content or executable bit changed.
      type: list
      elements: str
    removed:
      description: Files no longer published.
      type: list
      elements: str
task_arn:
  description: ARN of the publisher task (O(mode=fargate), when one ran).
  returned: when a task ran
  type: str
log_lines:
  description: The last O(log_lines) lines of the publisher task's log.
  returned: when a task ran
  type: list
  elements: str
"""

from pathlib import Path
from typing import Any, NoReturn

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.publish import (
    checked_repository,
    file_changes,
    manifest_diff,
    read_live_manifest,
    read_staged_manifest,
    record_rollback,
    require_publish_library,
    staged_manifest_prefix,
    write_live_manifest,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.publisher_task import (
    PublisherTaskError,
    describe_container,
    exit_code,
    failure_message,
    log_lines,
    result_line,
    start_task,
    wait_stopped,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "repository": {"required": True},
    "action": {"default": "apply", "choices": ["apply", "rollback"]},
    "mode": {"default": "fargate", "choices": ["fargate", "host"]},
    "bucket": {},
    "manifest_key": {"no_log": False},
    "source": {"type": "path"},
    "target": {},
    "keep": {"type": "int", "default": 5},
    "lock_timeout": {"type": "float", "default": 600},
    "force": {"type": "bool", "default": False},
    "cluster": {},
    "task_definition": {},
    "container_name": {},
    "subnets": {"type": "list", "elements": "str"},
    "security_groups": {"type": "list", "elements": "str"},
    "tags": {"type": "dict", "default": {}},
    "wait_timeout": {"type": "int", "default": 900},
    "poll_interval": {"type": "float", "default": 6},
    "log_lines": {"type": "int", "default": 50},
}

REQUIRED_IF = [
    ("mode", "fargate", ["bucket", "cluster", "task_definition", "subnets", "security_groups"]),
    ("mode", "host", ["target"]),
]


class Apply:
    def __init__(self, module: AnsibleAWSModule) -> None:
        self.module = module
        self.params = module.params
        self.repository = checked_repository(module)
        self.bucket: str = self.params["bucket"] or ""

    def fail(self, message: str, **extra: Any) -> NoReturn:
        self.module.fail_json(msg=f"{self.repository}: {message}", **extra)
        raise SystemExit(1)  # not reached: fail_json exits

    def s3(self) -> Any:
        # The library makes its own calls on a plain client (botocore's standard retries apply).
        return self.module.client("s3")

    def staged_manifest(self, missing_ok: bool) -> Any:
        from dagster_ecs.publish.errors import MissingObjectError, PublishError

        key = self.params["manifest_key"]
        if not (self.bucket and key):
            self.fail("bucket and manifest_key are required to apply a staged release")
        s3 = self.s3()
        try:
            return read_staged_manifest(s3, self.bucket, self.repository, key)
        except MissingObjectError:  # told apart from a denial without relying on a 404 (publish/objects.py)
            if missing_ok:
                return None  # check mode: dag_publish reported the change but uploaded nothing
            self.fail(f"s3://{self.bucket}/{key} does not exist; stage it with dag_publish first")
        except PublishError as error:
            self.fail(str(error))

    def live_json(self) -> Any:
        return read_live_manifest(self.s3(), self.bucket, self.repository) if self.bucket else None

    def record_live(self, manifest: Any) -> bool:
        """Write live.json when it differs from `manifest`; True if it did (or would, in check mode)."""
        if not self.bucket or manifest is None or self.live_json() == manifest:
            return False
        if not self.module.check_mode:
            write_live_manifest(self.s3(), self.bucket, self.repository, manifest)
        return True

    # ------------------------------------------------------------------------------------------------ host

    def host_target(self) -> Path:
        target = Path(self.params["target"])
        if not target.is_absolute():
            self.fail(f"target {target} must be an absolute path")
        if not target.parent.is_dir():
            message = f"the parent directory of target {target} does not exist (is the file system mounted?)"
            if not self.module.check_mode:
                self.fail(message)
            # Under --check a directory the play would create first (a local stand-in) does not exist yet.
            self.module.warn(f"{message}; a real run fails unless it exists by then")
        return target

    def host_apply(self) -> dict[str, Any]:
        from dagster_ecs.publish.blobs import DirectoryBlobs, S3Blobs
        from dagster_ecs.publish.errors import PublishError
        from dagster_ecs.publish.manifest import build_manifest
        from dagster_ecs.publish.release import apply_release, live_manifest, live_release, pending_changes

        target = self.host_target()
        try:
            if self.params["source"]:
                manifest = build_manifest(Path(self.params["source"]))
                blobs: Any = DirectoryBlobs(Path(self.params["source"]))
            else:
                manifest = self.staged_manifest(missing_ok=self.module.check_mode)
                blobs = S3Blobs(self.s3(), self.bucket, self.repository)
            before = live_manifest(target)
            if self.module.check_mode:
                live = live_release(target)
                changed = manifest is None or before != manifest
                changes = pending_changes(target, manifest) if manifest is not None else None
                result = {"changed": changed or self.record_live(manifest), "files": file_changes(changes)}
                return self.with_diff({**result, "release": live, "previous": live}, before, manifest)
            applied = apply_release(
                target, manifest, blobs, keep=self.params["keep"], lock_timeout=self.params["lock_timeout"]
            )
        except PublishError as error:
            self.fail(str(error))
        recorded = self.record_live(manifest)
        result = {
            "changed": applied.changed or recorded,
            "release": applied.release,
            "previous": applied.previous,
            "files": file_changes(applied.changes),
        }
        return self.with_diff(result, before, manifest)

    def host_rollback(self) -> dict[str, Any]:
        from dagster_ecs.publish.errors import PublishError
        from dagster_ecs.publish.release import live_manifest, live_release, predecessor, release_manifest, rollback

        target = self.host_target()
        try:
            before = live_manifest(target)
            if self.module.check_mode:
                live = live_release(target)
                earlier = predecessor(target, live) if live else None
                if live is None or earlier is None:
                    self.fail(f"{target}: there is no earlier release to roll back to")
                after = release_manifest(target, earlier)
                from dagster_ecs.publish.diff import diff_manifests

                result = {
                    "changed": True,
                    "release": earlier,
                    "previous": live,
                    "files": file_changes(diff_manifests(before, after)),
                }
                return self.with_diff(result, before, after)
            rolled = rollback(target, lock_timeout=self.params["lock_timeout"])
            after = live_manifest(target)
        except PublishError as error:
            self.fail(str(error))
        self.record_live(after)
        result = {
            "changed": rolled.changed,
            "release": rolled.release,
            "previous": rolled.previous,
            "files": file_changes(rolled.changes),
        }
        return self.with_diff(result, before, after)

    # --------------------------------------------------------------------------------------------- fargate

    def fargate(self) -> dict[str, Any]:
        params = self.params
        rollback = params["action"] == "rollback"
        before = self.live_json()
        manifest = None
        if not rollback:
            manifest = self.staged_manifest(missing_ok=self.module.check_mode)
            if manifest is not None and before == manifest and not params["force"]:
                return self.with_diff({"changed": False, "files": file_changes(None)}, before, manifest)
        if self.module.check_mode:
            from dagster_ecs.publish.diff import diff_manifests

            changes = diff_manifests(before, manifest) if manifest is not None else None
            return self.with_diff({"changed": True, "files": file_changes(changes)}, before, manifest)
        ecs = retrying_client(self.module, "ecs")
        try:
            arn, container = describe_container(ecs, params["task_definition"], params["container_name"])
            target = params["target"] or self.mounted_target(container.writable_mounts)
            command = ["python", "-m", "dagster_ecs.publish"]
            lock = ("--lock-timeout", f"{params['lock_timeout']:g}")
            if rollback:
                command += ["rollback", target, *lock]
            else:
                command += [
                    "apply",
                    *("--bucket", self.bucket, "--repository", self.repository),
                    *("--manifest-key", params["manifest_key"], "--target", target, "--keep", str(params["keep"])),
                    *lock,
                ]
            task = start_task(
                ecs,
                cluster=params["cluster"],
                task_definition_arn=arn,
                container=container,
                command=command,
                subnets=params["subnets"],
                security_groups=params["security_groups"],
                tags=params["tags"],
            )
            stopped = wait_stopped(
                ecs, params["cluster"], task["taskArn"], params["wait_timeout"], params["poll_interval"]
            )
            logs = retrying_client(self.module, "logs")
            lines = log_lines(logs, container, task["taskArn"], params["log_lines"])
            if exit_code(stopped, container.name) != 0:
                raise PublisherTaskError(failure_message(stopped, container.name, lines), stopped, lines)
            outcome = self.await_result(logs, container, task["taskArn"], lines)
        except PublisherTaskError as error:
            self.module.fail_json(msg=f"{self.repository}: {error}", task=error.task, log_lines=error.log_lines)
        result = {
            "changed": bool(outcome.get("changed", True)) if outcome else True,
            "release": (outcome or {}).get("release"),
            "previous": (outcome or {}).get("previous"),
            "files": {
                "added": (outcome or {}).get("added", []),
                "changed": (outcome or {}).get("changed_files", []),
                "removed": (outcome or {}).get("removed", []),
            },
            "task_arn": task["taskArn"],
            "log_lines": lines,
        }
        after = manifest
        if rollback and result["release"]:
            after = self.record_rolled_back(result["release"])
        return self.with_diff(result, before, after)

    def record_rolled_back(self, release: str) -> Any:
        """After a rollback inside the VPC: live.json := the manifest of `release`, found in the staging (see
        record_rollback); None, with a warning, when it is not staged there and live.json was removed."""
        from dagster_ecs.publish.errors import PublishError

        try:
            manifest = record_rollback(self.s3(), self.bucket, self.repository, release)
        except PublishError as error:
            self.fail(f"rolled back to {release}, but recording it in live.json failed: {error}")
        if manifest is None:
            self.module.warn(
                f"Rolled back to {release}, whose manifest is not staged under "
                f"{staged_manifest_prefix(self.repository, release)}: removed live.json, so the next publish applies "
                "in full"
            )
        return manifest

    def await_result(self, logs: Any, container: Any, task_arn: str, lines: list[str]) -> dict[str, Any] | None:
        """The task's JSON result line; CloudWatch may deliver the last lines a few seconds after the task stops."""
        import time

        deadline = time.monotonic() + max(30.0, 5 * self.params["poll_interval"])
        while (outcome := result_line(lines)) is None and time.monotonic() < deadline:
            time.sleep(self.params["poll_interval"])
            lines[:] = log_lines(logs, container, task_arn, self.params["log_lines"])
        if outcome is None:
            self.module.warn(f"The publisher task {task_arn} succeeded but its result line is not in its log yet")
        return outcome

    def mounted_target(self, writable: tuple[str, ...]) -> str:
        if len(writable) != 1:
            self.fail(
                f"{self.params['task_definition']} has {len(writable)} writable mount points {list(writable)}; "
                "set target to the repository's directory in the container"
            )
        return writable[0]

    def with_diff(self, result: dict[str, Any], before: Any, after: Any) -> dict[str, Any]:
        if self.module._diff and after is not None:
            result["diff"] = manifest_diff(before, after, "live release", "after " + self.params["action"])
        return result


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF, supports_check_mode=True)
    require_publish_library(module)
    apply = Apply(module)
    try:
        if module.params["mode"] == "host":
            result = apply.host_rollback() if module.params["action"] == "rollback" else apply.host_apply()
        else:
            result = apply.fargate()
    except AnsibleAWSError as e:  # S3's, ECS's or CloudWatch Logs'
        module.fail_json_aws_error(e)
    module.exit_json(**{key: value for key, value in result.items() if value is not None})


if __name__ == "__main__":
    main()
