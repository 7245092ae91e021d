"""Where a repository's deployment lives in the bucket: `deployments/<repo>/` (blobs, manifests, live.json).

Outside `repos/<repo>/` on purpose: a repository's task role can read and write its data prefix, and must not
be able to rewrite the code it runs.
"""

from dagster_ecs.names import validate_repository_name
from dagster_ecs.publish.manifest import Manifest

DEPLOYMENTS_PREFIX = "deployments"


def deployment_prefix(repository: str) -> str:
    return f"{DEPLOYMENTS_PREFIX}/{validate_repository_name(repository)}/"


def blob_key(repository: str, sha256: str) -> str:
    return f"{deployment_prefix(repository)}blobs/{sha256}"


def manifest_key(repository: str, manifest: Manifest) -> str:
    return f"{deployment_prefix(repository)}manifests/{manifest.digest}.json"


def live_key(repository: str) -> str:
    return f"{deployment_prefix(repository)}live.json"
