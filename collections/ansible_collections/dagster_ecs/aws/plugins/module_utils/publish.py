# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Helpers of the DAG publishing modules (dag_publish, dag_apply, dag_reload): the library, results and diffs.

The publishing logic is the dagster-ecs package's `dagster_ecs.publish` (plain Python, unit-tested on its own);
these modules only connect it to Ansible. It must be importable by the Python that runs the module: the
controller's (uv sync installs it), a bastion's, or the Dagster image's.
"""

import traceback
from typing import Any

from ansible.module_utils.basic import missing_required_lib

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
