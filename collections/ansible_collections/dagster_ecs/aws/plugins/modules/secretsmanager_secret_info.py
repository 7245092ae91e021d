#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: secretsmanager_secret_info
short_description: Describe an AWS Secrets Manager secret without reading its value
version_added: 0.1.0
description:
  - Read-only. Returns the ARN, description, KMS key, tags and deletion state of one secret, or an empty dict
    when it does not exist. Never calls C(GetSecretValue).
  - Runs in check mode too, so later tasks can use the ARN under C(--check).
author: dagster-ecs maintainers
options:
  name:
    description:
      - Name or ARN of the secret.
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Find the database secret's ARN, also under --check
  dagster_ecs.aws.secretsmanager_secret_info:
    name: dagster-ecs-prod/database/master
  register: master_secret

- name: Reference its password key in a task definition
  ansible.builtin.debug:
    msg: "{{ master_secret.secret.arn }}:password::"
  when: master_secret.secret
"""

RETURN = r"""
secret:
  description: The secret, or an empty dict when it does not exist.
  returned: always
  type: dict
  contains:
    arn:
      description: ARN of the secret.
      type: str
    name:
      description: Name of the secret.
      type: str
    description:
      description: Description of the secret.
      type: str
    kms_key_id:
      description: KMS key of the secret, when not the default one.
      type: str
    tags:
      description: Tags of the secret.
      type: dict
    deleted:
      description: Whether the secret is scheduled for deletion.
      type: bool
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.secretsmanager import (
    AnsibleSecretsManagerError,
    describe_secret,
    secret_metadata,
)

ARGUMENT_SPEC: dict[str, Any] = {"name": {"required": True}}


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = retrying_client(module, "secretsmanager")
    try:
        secret = describe_secret(client, module.params["name"])
    except AnsibleSecretsManagerError as e:
        module.fail_json_aws_error(e)
    module.exit_json(changed=False, secret=secret_metadata(secret))


if __name__ == "__main__":
    main()
