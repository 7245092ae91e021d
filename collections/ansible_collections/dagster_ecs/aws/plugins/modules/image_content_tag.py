#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: image_content_tag
short_description: Compute the immutable content tag of the image a checkout builds
version_added: 0.1.0
description:
  - Read-only. Names the image that O(dockerfile) builds from O(context) as
    C(<12 hex of the last commit that changed the build inputs>-<16 hex of the inputs digest>[-<architecture>]),
    with C(-dirty) appended when the build context differs from what a fresh clone of HEAD would send.
  - The digest covers every file of the build context the context's C(.dockerignore) lets through (Docker's
    matching rules), by path, content and executable bit, plus the Dockerfile, the C(.dockerignore) and
    O(build_args). Modification times, owners and the umask do not count, so every clone of a commit gives
    the same tag, and a commit that changes nothing the build sees keeps it.
  - The same tag therefore never names two different images, which is what ECR's immutable tags need.
  - Needs the git CLI and a checkout with history (see RV(shallow)).
author: dagster-ecs maintainers
options:
  context:
    description:
      - The build context directory, inside a git checkout.
    type: path
    required: true
  dockerfile:
    description:
      - The Dockerfile, relative to O(context) (or absolute).
    type: path
    default: Dockerfile
  build_args:
    description:
      - The C(--build-arg) values the image is built with; they are part of the digest.
    type: dict
    default: {}
  platform:
    description:
      - The platform the image is built for (C(--platform)). It is part of the digest, and its architecture ends
        the tag (C(-amd64), C(-arm64)), so images of one commit for two architectures never share a tag.
      - Unset, the tag names no architecture (the tags of images built before platforms were).
    type: str
    choices: [linux/amd64, linux/arm64]
notes:
  - Supports check mode (it never changes anything).
"""

EXAMPLES = r"""
- name: Name the Dagster image after its inputs
  dagster_ecs.aws.image_content_tag:
    context: "{{ playbook_dir }}"
    dockerfile: docker/Dockerfile
  register: content

- name: Refuse to publish uncommitted changes
  ansible.builtin.assert:
    that: not content.dirty
    fail_msg: "Uncommitted build inputs: {{ content.dirty_paths | join(', ') }}"
"""

RETURN = r"""
tag:
  description: >-
    The content tag, e.g. C(1fd583f0a1b2-9c1e0d6a2f3b4c5d-amd64) or C(1fd583f0a1b2-0a1b2c3d4e5f6a7b-arm64-dirty).
  returned: always
  type: str
digest:
  description: The full sha256 of the build inputs.
  returned: always
  type: str
commit:
  description: The full id of the last commit that changed the build inputs.
  returned: always
  type: str
dirty:
  description: Whether the build context differs from HEAD (modified, untracked or git-ignored inputs).
  returned: always
  type: bool
dirty_paths:
  description: The paths, relative to O(context), that differ from HEAD.
  returned: always
  type: list
  elements: str
shallow:
  description:
    - The checkout is a shallow clone whose history ends before the inputs last changed; RV(commit) is then the
      oldest commit it has, and a full clone would name another one.
  returned: always
  type: bool
files:
  description: The paths, relative to O(context), that the digest covers.
  returned: always
  type: list
  elements: str
"""

from pathlib import Path
from typing import Any

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.image_tag import ImageTagError, content_tag

ARGUMENT_SPEC: dict[str, Any] = {
    "context": {"type": "path", "required": True},
    "dockerfile": {"type": "path", "default": "Dockerfile"},
    "build_args": {"type": "dict", "default": {}},
    "platform": {"choices": ["linux/amd64", "linux/arm64"]},
}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    build_args = {str(k): str(v) for k, v in module.params["build_args"].items()}
    try:
        found = content_tag(
            Path(module.params["context"]),
            Path(module.params["dockerfile"]),
            build_args,
            allow_shallow=True,
            platform=module.params["platform"],
        )
    except ImageTagError as error:
        module.fail_json(msg=str(error))
    module.exit_json(
        changed=False,
        tag=found.tag,
        digest=found.digest,
        commit=found.commit,
        dirty=found.dirty,
        dirty_paths=list(found.dirty_paths),
        shallow=found.shallow,
        files=list(found.files),
    )


if __name__ == "__main__":
    main()
