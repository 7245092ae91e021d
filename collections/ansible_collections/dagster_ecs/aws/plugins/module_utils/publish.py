# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers of the DAG publishing modules (dag_publish, dag_apply, dag_reload): the library, its S3 calls, results
and diffs.

The publishing logic is the dagster-ecs package's `dagster_ecs.publish` (plain Python, unit-tested on its own);
these modules only connect it to Ansible. It must be importable by the Python that runs the module: the
controller's (uv sync installs it), a bastion's, or the Dagster image's. Its S3 calls fail here with
AnsibleS3Error (its own errors, PublishError, pass through).
"""

import traceback
from pathlib import Path
from typing import Any

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.s3 import S3ErrorHandler

try:
    import dagster_ecs.publish  # noqa: F401 - probed here, imported by the modules where used

    PUBLISH_IMPORT_ERROR: str | None = None
except ImportError:
    PUBLISH_IMPORT_ERROR = traceback.format_exc()


def require_publish_library(module: Any) -> None:
    """Fail the module, saying what to install, when dagster_ecs.publish cannot be imported."""
    if PUBLISH_IMPORT_ERROR is not None:
        module.fail_json(
            msg=missing_required_lib(
                "dagster-ecs (its dagster_ecs.publish package)",
                reason="to publish DAG repositories",
                url="the project's README: uv sync on the controller, pip install on a bastion",
            ),
            exception=PUBLISH_IMPORT_ERROR,
        )


def checked_repository(module: Any) -> str:
    """O(repository) if it is a valid repository name; otherwise the module fails naming it.

    Call after require_publish_library.
    """
    from dagster_ecs.names import InvalidNameError, validate_repository_name

    name = module.params["repository"]
    try:
        return validate_repository_name(name)
    except InvalidNameError as error:
        module.fail_json(msg=f"repository: {error}")
    return name  # not reached: fail_json exits


def file_changes(changes: Any) -> dict[str, list[str]]:
    """A Changes as the modules return it: added, changed and removed paths."""
    if changes is None:
        return {"added": [], "changed": [], "removed": []}
    return {"added": list(changes.added), "changed": list(changes.changed), "removed": list(changes.removed)}


def manifest_listing(manifest: Any) -> str:
    """One line per file, `path  sha256-prefix`, so a unified diff of two listings shows exactly the changes."""
    if manifest is None:
        return ""
    lines = []
    for path, entry in manifest.files.items():
        mode = "  (executable)" if entry.executable else ""
        lines.append(f"{path}  {entry.sha256[:12]}{mode}")
    return "".join(f"{line}\n" for line in lines)


def manifest_diff(before: Any, after: Any, before_header: str, after_header: str) -> dict[str, str]:
    """Ansible's diff of two manifests (None: nothing published): their file listings."""
    return {
        "before": manifest_listing(before),
        "after": manifest_listing(after),
        "before_header": before_header,
        "after_header": after_header,
    }


def digest_of(manifest: Any) -> str:
    return "" if manifest is None else manifest.digest


# ---------------------------------------------------------------------------------------------------- S3 staging
# The library makes its own calls on a plain client (botocore's standard retries apply). Call these after
# require_publish_library.


@S3ErrorHandler.common_error_handler("read the live manifest of {repository} in s3://{bucket}")
def read_live_manifest(s3: Client, bucket: str, repository: str) -> Any:
    """The manifest live.json records (None when there is none)."""
    from dagster_ecs.publish.staging import read_live_manifest as read

    return read(s3, bucket, repository)


@S3ErrorHandler.common_error_handler("write the live manifest of {repository} in s3://{bucket}")
def write_live_manifest(s3: Client, bucket: str, repository: str, manifest: Any) -> None:
    from dagster_ecs.publish.staging import write_live_manifest as write

    write(s3, bucket, repository, manifest)


@S3ErrorHandler.common_error_handler("read s3://{bucket}/{key}")
def read_staged_manifest(s3: Client, bucket: str, repository: str, key: str) -> Any:
    """The staged manifest at `key`; MissingObjectError when there is none."""
    from dagster_ecs.publish.staging import read_manifest

    return read_manifest(s3, bucket, repository, key)


@S3ErrorHandler.common_error_handler("stage {repository} in s3://{bucket}")
def stage(s3: Client, bucket: str, repository: str, source: Path, manifest: Any, changes: Any) -> str:
    """Upload what the staging lacks and the manifest; the manifest's key."""
    from dagster_ecs.publish.staging import upload

    return upload(s3, bucket, repository, source, manifest, changes)


@S3ErrorHandler.common_error_handler(
    "record in the live manifest of {repository} in s3://{bucket} the rollback to {release} (the rollback is done)"
)
def record_rollback(s3: Client, bucket: str, repository: str, release: str) -> Any:
    """live.json := the manifest of `release`, found in the staging, which is returned.

    A release id ends with the first 12 hex digits of its manifest's digest, and every release the publisher task
    made was applied from a manifest staged under deployments/<repo>/manifests/. When it cannot be found (e.g.
    published by a host directly), live.json is removed and None returned: the next publish then compares with
    nothing and applies, rather than trusting a live.json that names the release rolled back from.
    """
    from dagster_ecs.publish.layout import live_key
    from dagster_ecs.publish.staging import read_manifest
    from dagster_ecs.publish.staging import write_live_manifest as write

    prefix = staged_manifest_prefix(repository, release)
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
    if len(keys) == 1:
        manifest = read_manifest(s3, bucket, repository, keys[0])
        write(s3, bucket, repository, manifest)
        return manifest
    s3.delete_object(Bucket=bucket, Key=live_key(repository))
    return None


def staged_manifest_prefix(repository: str, release: str) -> str:
    """Where the manifest release `release` was applied from is staged."""
    from dagster_ecs.publish.layout import deployment_prefix

    return f"{deployment_prefix(repository)}manifests/{release.rsplit('-', 1)[-1]}"
