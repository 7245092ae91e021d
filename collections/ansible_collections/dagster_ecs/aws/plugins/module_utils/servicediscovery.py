# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Cloud Map helpers shared by the dagster_ecs.aws servicediscovery modules."""

import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import AWS_ERRORS, Client, Description
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecs import tags_to_dict

POLL_INTERVAL = 2


def wait_for_operation(module: AnsibleAWSModule, sd: Client, operation_id: str, what: str, timeout: int) -> Description:
    """Poll GetOperation until the asynchronous operation succeeds; fail on FAIL or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            operation = sd.get_operation(aws_retry=True, OperationId=operation_id)["Operation"]
        except AWS_ERRORS as e:
            module.fail_json_aws(e, msg=f"Failed to read operation {operation_id} ({what})")
        if operation["Status"] == "SUCCESS":
            return operation
        if operation["Status"] == "FAIL":
            module.fail_json(
                msg=f"Cloud Map operation {operation_id} ({what}) failed: {operation.get('ErrorMessage', '')}",
                operation=operation,
            )
        if time.monotonic() >= deadline:
            module.fail_json(msg=f"Timed out after {timeout}s waiting for {what} (operation {operation_id})")
        time.sleep(POLL_INTERVAL)


def list_tags(module: AnsibleAWSModule, sd: Client, arn: str) -> dict[str, str]:
    try:
        return tags_to_dict(sd.list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags"))
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to list the tags of {arn}")


def list_namespaces(module: AnsibleAWSModule, sd: Client, name: str) -> list[Description]:
    """Private DNS namespaces called `name` (summaries)."""
    try:
        pages = (
            sd.get_paginator("list_namespaces")
            .paginate(Filters=[{"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"}])
            .build_full_result()
        )
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg="Failed to list Cloud Map namespaces")
    return [ns for ns in pages.get("Namespaces", []) if ns.get("Type") == "DNS_PRIVATE" and ns.get("Name") == name]


def list_services(module: AnsibleAWSModule, sd: Client, namespace_id: str) -> list[Description]:
    """Service summaries of one namespace."""
    try:
        pages = (
            sd.get_paginator("list_services")
            .paginate(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}])
            .build_full_result()
        )
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to list the Cloud Map services of {namespace_id}")
    services = pages.get("Services", [])
    # Not every Cloud Map implementation applies the filter; keep the namespace's own services.
    return [s for s in services if s.get("NamespaceId", namespace_id) == namespace_id]


def get_service(module: AnsibleAWSModule, sd: Client, service_id: str) -> Description:
    try:
        return sd.get_service(aws_retry=True, Id=service_id)["Service"]
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to read Cloud Map service {service_id}")


def new_request_id(prefix: str) -> str:
    """An idempotency token: a retried create does not make a second resource."""
    return f"{prefix}-{time.time_ns()}"[:64]


def to_snake(description: Description, tags: dict[str, str]) -> dict[str, Any]:
    from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

    result = camel_dict_to_snake_dict(description)
    result["tags"] = tags
    return result
