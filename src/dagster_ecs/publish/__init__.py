"""DAG delivery: publish a repository's files as an immutable release, switch to it atomically, reload it live.

    manifest  the content-addressed list of files (sha256, size, executable bit) and its digest
    ignore    what is never published, and `.dagsterignore`
    diff      added / changed / removed paths between two manifests
    blobs     where new contents come from: the source directory, or S3 deployment staging
    release   assembling a release under `<target>/releases/`, switching `current`, pruning, rollback
    lock      the per-repository flock that serialises publishes
    staging   uploading blobs and manifests to S3 for an apply task inside the VPC
    preflight loading the repository in a separate process before anything is published
    reload    reloadRepositoryLocation through the webserver, and confirming what it serves

`python -m dagster_ecs.publish` is the command line (apply / publish / rollback / releases / verify). The names
below are importable from this package directly; they are loaded on first use, so importing it stays cheap.
(`preflight` is also a submodule's name: import the function from `dagster_ecs.publish.preflight`.)
"""

import importlib
from typing import Any

_EXPORTS = {
    "FileEntry": "manifest",
    "Manifest": "manifest",
    "build_manifest": "manifest",
    "IGNORE_FILE": "ignore",
    "is_excluded": "ignore",
    "Changes": "diff",
    "diff_manifests": "diff",
    "BlobSource": "blobs",
    "DirectoryBlobs": "blobs",
    "S3Blobs": "blobs",
    "ApplyResult": "release",
    "apply_release": "release",
    "live_manifest": "release",
    "releases": "release",
    "rollback": "release",
    "verify_release": "release",
    "upload": "staging",
    "read_live_manifest": "staging",
    "write_live_manifest": "staging",
    "manifest_key": "staging",
    "LoadedDefinitions": "preflight",
    "reload_location": "reload",
    "PublishError": "errors",
    "ManifestError": "errors",
    "MissingObjectError": "errors",
    "IntegrityError": "errors",
    "LockTimeoutError": "errors",
    "PreflightError": "errors",
    "ReloadError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'dagster_ecs.publish' has no attribute {name!r}")
    return getattr(importlib.import_module(f"dagster_ecs.publish.{module}"), name)
