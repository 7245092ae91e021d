#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecr_login
short_description: Log docker or podman in to Amazon ECR with an authorization token
version_added: 0.1.0
description:
  - Gets an ECR authorization token (GetAuthorizationToken) and runs
    C(<executable> login --username AWS --password-stdin <registry>) with the token's password on standard
    input. The password never appears on a command line, in a file written by this module, or in the module's
    result; the client stores the login the way it always does (podman's auth.json, Docker's config.json or its
    credential helper).
  - The token is valid for 12 hours.
  - In check mode the token is read but nobody logs in.
author: dagster-ecs maintainers
options:
  registry_id:
    description:
      - AWS account whose registry to log in to; the caller's account when unset.
    type: str
  executable:
    description:
      - The container client to log in with, V(docker) or V(podman) (a name on PATH or a path).
    type: str
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Log podman in to the account's ECR registry
  dagster_ecs.aws.ecr_login:
    executable: podman
    region: ap-southeast-2
"""

RETURN = r"""
registry:
  description: The registry host logged in to, e.g. C(123456789012.dkr.ecr.ap-southeast-2.amazonaws.com).
  returned: always
  type: str
username:
  description: The user name of the token (C(AWS)).
  returned: always
  type: str
expires_at:
  description: When the token expires (ISO 8601).
  returned: always
  type: str
"""

import base64
import binascii
from typing import Any
from urllib.parse import urlparse

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecr import AnsibleECRError, authorization_data

ARGUMENT_SPEC: dict[str, Any] = {"registry_id": {}, "executable": {"required": True}}


def decode_token(token: str) -> tuple[str, str]:
    """ECR's authorizationToken is base64("<user>:<password>")."""
    try:
        username, separator, password = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as error:
        raise ValueError(f"the authorization token is not base64 of user:password ({error})") from error
    if not separator or not username or not password:
        raise ValueError("the authorization token is not base64 of user:password")
    return username, password


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = retrying_client(module, "ecr")
    try:
        data = authorization_data(client, module.params["registry_id"])
    except AnsibleECRError as e:
        module.fail_json_aws_error(e)
    try:
        username, password = decode_token(data["authorizationToken"])
    except ValueError as error:
        module.fail_json(msg=str(error))
    # Whatever the client prints (or a failure message quotes) is censored if it ever contains the password.
    module.no_log_values.add(password)
    registry = urlparse(data["proxyEndpoint"]).netloc or data["proxyEndpoint"]
    expires_at = data["expiresAt"].isoformat() if data.get("expiresAt") else ""
    result = {"changed": False, "registry": registry, "username": username, "expires_at": expires_at}
    if module.check_mode:
        module.exit_json(**result)
    executable = module.get_bin_path(module.params["executable"], required=True)
    rc, stdout, stderr = module.run_command(
        [executable, "login", "--username", username, "--password-stdin", registry], data=password
    )
    if rc != 0:
        module.fail_json(msg=f"{module.params['executable']} login {registry} failed: {stderr or stdout}", rc=rc)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
