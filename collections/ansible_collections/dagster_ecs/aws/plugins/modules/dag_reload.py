#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: dag_reload
short_description: Reload a Dagster code location through the webserver and confirm what it serves
version_added: 0.1.0
description:
  - Sends the webserver's GraphQL mutation C(reloadRepositoryLocation) for O(location), then waits until the
    location is loaded again and, when O(asset_keys) or O(job_names) are given, serves exactly those. The code
    server (C(dagster code-server start)) reloads its code from the repository's C(current) release; no container
    or process is restarted.
  - Fails with the location's load error, or with what it serves instead of the expected definitions.
  - Makes no AWS call. In check mode nothing is sent and the task reports the reload it would make.
author: dagster-ecs maintainers
options:
  webserver_url:
    description: Base URL of the Dagster webserver, e.g. V(http://localhost:3000).
    type: str
    required: true
  location:
    description: Code location name (the repository name).
    type: str
    required: true
  asset_keys:
    description: Asset keys (C(a/b) form) the location must serve after the reload; unset checks none.
    type: list
    elements: str
  job_names:
    description: Job names the location must serve after the reload; unset checks none.
    type: list
    elements: str
  release:
    description:
      - The release id that went live (M(dagster_ecs.aws.dag_apply)'s RV(dagster_ecs.aws.dag_apply#module:release)).
        The location is reloaded again until its code server serves this release (a code server's NFS client may
        still see the old C(current) for a while); the task fails naming both releases after O(timeout).
      - Unset checks no release.
    type: str
  headers:
    description: HTTP headers sent with every request, e.g. an C(Authorization) header for an authenticating proxy.
    type: dict
    default: {}
  timeout:
    description: Seconds to wait for the location to load with the expected definitions.
    type: float
    default: 60
"""

EXAMPLES = r"""
- name: Reload main and check it serves what the pre-flight loaded
  dagster_ecs.aws.dag_reload:
    webserver_url: http://localhost:3000
    location: main
    asset_keys: "{{ staged.definitions.asset_keys }}"
    job_names: "{{ staged.definitions.job_names }}"
"""

RETURN = r"""
definitions:
  description: What the location serves after the reload (empty in check mode).
  returned: always
  type: dict
  contains:
    asset_keys:
      description: Asset keys.
      type: list
      elements: str
    job_names:
      description: Job names.
      type: list
      elements: str
"""

from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.publish import require_publish_library

ARGUMENT_SPEC: dict[str, Any] = {
    "webserver_url": {"required": True},
    "location": {"required": True},
    "asset_keys": {"type": "list", "elements": "str"},
    "job_names": {"type": "list", "elements": "str"},
    "release": {},
    "headers": {"type": "dict", "default": {}, "no_log": True},
    "timeout": {"type": "float", "default": 60},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    require_publish_library(module)
    from dagster_ecs.publish.errors import PublishError
    from dagster_ecs.publish.reload import LoadedDefinitions, reload_location

    params = module.params
    expected = None
    if params["asset_keys"] is not None or params["job_names"] is not None:
        expected = LoadedDefinitions.of(params["asset_keys"] or [], params["job_names"] or [])
    if module.check_mode:
        module.exit_json(changed=True, definitions={"asset_keys": [], "job_names": []})
    try:
        served = reload_location(
            params["webserver_url"],
            params["location"],
            expected,
            params["timeout"],
            headers=params["headers"],
            release=params["release"],
        )
    except PublishError as error:
        module.fail_json(msg=f"Code location {params['location']}: {error}")
    module.exit_json(changed=True, definitions=served.to_dict())


if __name__ == "__main__":
    main()
