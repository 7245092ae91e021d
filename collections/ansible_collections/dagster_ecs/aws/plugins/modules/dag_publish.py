#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: dag_publish
short_description: Stage a DAG repository for publishing, after loading it, when it differs from the live release
version_added: 0.1.0
description:
  - Builds the content-addressed manifest of the DAG repository in O(source) (sha256 per file; C(__pycache__),
    C(*.pyc), tests, dot-files and what C(.dagsterignore) lists are left out) and compares it with the live
    release's manifest.
  - The live manifest is C(s3://<bucket>/deployments/<repo>/live.json) (written by every apply, see
    M(dagster_ecs.aws.dag_apply)) when O(bucket) is set, or the live release of the directory O(live_target)
    for a direct publish into a directory this host can write (no staging).
  - When they differ, loads the repository in a separate Python process first (the pre-flight); a repository that
    does not load fails the task with the failing file and its error, and nothing is uploaded, so it never goes
    live.
  - Then, with O(bucket), uploads the blobs S3 does not have yet for the added and changed files, and the
    manifest, under C(deployments/<repo>/), and returns the manifest's key for M(dagster_ecs.aws.dag_apply).
  - Nothing is made live here. No change reports C(changed=false) and uploads nothing.
  - Supports check mode (reports the files that would change, uploads nothing; the pre-flight still runs, it only
    reads) and diff mode (the live and the new file listing, one C(path  sha256) line per file).
  - Runs on the host that has the repository's source, usually the controller, and needs the dagster-ecs package
    in the Python that runs it.
author: dagster-ecs maintainers
options:
  repository:
    description: Repository name (the directory name under C(dags/)); lowercase letters, digits and hyphens.
    type: str
    required: true
  source:
    description: The repository's source directory, e.g. C(dags/main).
    type: path
    required: true
  bucket:
    description:
      - The environment's S3 bucket. The live manifest is read from, and the release staged under,
        C(deployments/<repository>/).
      - Exactly one of O(bucket) and O(live_target) is required.
    type: str
  live_target:
    description:
      - The repository's target directory (its EFS directory, or a local directory standing in for it) on this
        host, for a direct publish (compared with its live release; nothing is uploaded).
    type: path
  preflight:
    description: Load the repository in a separate process before staging a change. Only turn off for a test.
    type: bool
    default: true
  preflight_timeout:
    description: Seconds the pre-flight may take to load the repository.
    type: float
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Stage repository main when it changed
  dagster_ecs.aws.dag_publish:
    repository: main
    source: "{{ playbook_dir }}/dags/main"
    bucket: dagster-ecs-dev-123456789012
  register: staged

- name: Show what would change (check mode) or what was staged
  ansible.builtin.debug:
    msg: "{{ staged.files }} -> {{ staged.manifest_key }}"
"""

RETURN = r"""
repository:
  description: The repository.
  returned: always
  type: str
digest:
  description: Digest (sha256 of the canonical JSON) of the repository's manifest as built from O(source).
  returned: always
  type: str
live_digest:
  description: Digest of the live manifest; empty when nothing is published yet.
  returned: always
  type: str
manifest_key:
  description:
    - Key of the manifest in the bucket (C(deployments/<repo>/manifests/<digest>.json)), the input of
      M(dagster_ecs.aws.dag_apply). Empty with O(live_target). In check mode the key it would have.
  returned: always
  type: str
files:
  description: Paths added, changed and removed relative to the live release.
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
file_count:
  description: Number of files in the manifest.
  returned: always
  type: int
definitions:
  description: What the pre-flight loaded (empty lists when it did not run, e.g. nothing changed).
  returned: always
  type: dict
  contains:
    asset_keys:
      description: Asset keys, as the webserver lists them (C(a/b)).
      type: list
      elements: str
    job_names:
      description: Job names.
      type: list
      elements: str
"""

from pathlib import Path
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.publish import (
    checked_repository,
    digest_of,
    file_changes,
    manifest_diff,
    read_live_manifest,
    require_publish_library,
    stage,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.s3 import AnsibleS3Error

ARGUMENT_SPEC: dict[str, Any] = {
    "repository": {"required": True},
    "source": {"type": "path", "required": True},
    "bucket": {},
    "live_target": {"type": "path"},
    "preflight": {"type": "bool", "default": True},
    "preflight_timeout": {"type": "float", "default": 300},
}


def publish(module: AnsibleAWSModule) -> dict[str, Any]:
    from dagster_ecs.publish.diff import diff_manifests
    from dagster_ecs.publish.errors import PublishError
    from dagster_ecs.publish.layout import manifest_key
    from dagster_ecs.publish.manifest import build_manifest
    from dagster_ecs.publish.preflight import preflight
    from dagster_ecs.publish.release import live_manifest

    params = module.params
    repository = checked_repository(module)
    source = Path(params["source"])
    bucket: str | None = params["bucket"]
    s3 = module.client("s3") if bucket else None
    try:
        manifest = build_manifest(source)
        if s3 is not None and bucket:
            live = read_live_manifest(s3, bucket, repository)
            live_header = f"s3://{bucket}/deployments/{repository}/live.json"
        else:
            live = live_manifest(Path(params["live_target"]))
            live_header = f"{params['live_target']}/current"
    except PublishError as error:
        module.fail_json(msg=f"{repository}: {error}")
    changes = diff_manifests(live, manifest)
    changed = live is None or live != manifest
    definitions = {"asset_keys": [], "job_names": []}
    key = manifest_key(repository, manifest) if bucket else ""
    if changed and params["preflight"]:
        try:
            definitions = preflight(source, repository, timeout=params["preflight_timeout"]).to_dict()
        except PublishError as error:
            module.fail_json(msg=f"{repository} was not published: {error}", files=file_changes(changes))
    if changed and s3 is not None and bucket and not module.check_mode:
        try:
            key = stage(s3, bucket, repository, source, manifest, changes)
        except PublishError as error:
            module.fail_json(msg=f"{repository}: {error}")
    result: dict[str, Any] = {
        "changed": changed,
        "repository": repository,
        "digest": manifest.digest,
        "live_digest": digest_of(live),
        "manifest_key": key,
        "files": file_changes(changes),
        "file_count": len(manifest.files),
        "definitions": definitions,
    }
    if module._diff:
        result["diff"] = manifest_diff(live, manifest, live_header, str(source))
    return result


def main() -> None:
    module = AnsibleAWSModule(
        argument_spec=ARGUMENT_SPEC,
        required_one_of=[["bucket", "live_target"]],
        mutually_exclusive=[["bucket", "live_target"]],
        supports_check_mode=True,
    )
    require_publish_library(module)
    try:
        returned = publish(module)
    except AnsibleS3Error as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
