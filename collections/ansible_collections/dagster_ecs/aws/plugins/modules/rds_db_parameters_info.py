#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_db_parameters_info
short_description: Read the parameter values of an RDS DB parameter group
version_added: 0.1.0
description:
  - Read-only. Returns the value of every parameter of a DB parameter group (C(DescribeDBParameters)).
  - amazon.aws.rds_instance_param_group reports no change under C(--check) when only parameter values differ;
    this module lets a role compare them itself. Runs in check mode.
author: dagster-ecs maintainers
options:
  db_parameter_group_name:
    description:
      - Name of the DB parameter group.
    type: str
    required: true
  names:
    description:
      - Only these parameters. All of them when not given.
    type: list
    elements: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Read rds.force_ssl
  dagster_ecs.aws.rds_db_parameters_info:
    db_parameter_group_name: dagster-ecs-prod-postgres16
    names: [rds.force_ssl]
  register: parameters
"""

RETURN = r"""
exists:
  description: Whether the parameter group exists.
  returned: always
  type: bool
parameters:
  description: Parameter name to value; null for a parameter without a value (an engine default with none).
  returned: always
  type: dict
  sample: {"rds.force_ssl": "1"}
"""

from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.rds import AnsibleRDSError, describe_db_parameters

ARGUMENT_SPEC: dict[str, Any] = {
    "db_parameter_group_name": {"required": True},
    "names": {"type": "list", "elements": "str"},
}


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    client = retrying_client(module, "rds")
    try:
        found = describe_db_parameters(client, module.params["db_parameter_group_name"])
    except AnsibleRDSError as e:
        module.fail_json_aws_error(e)
    if found is None:
        module.exit_json(changed=False, exists=False, parameters={})
    names = module.params["names"]
    parameters = {
        p["ParameterName"]: p.get("ParameterValue") for p in found if names is None or p["ParameterName"] in names
    }
    module.exit_json(changed=False, exists=True, parameters=parameters)


if __name__ == "__main__":
    main()
