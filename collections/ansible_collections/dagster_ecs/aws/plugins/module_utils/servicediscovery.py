# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The AWS Cloud Map calls of the dagster_ecs.aws servicediscovery modules, failing with
AnsibleServiceDiscoveryError (as amazon.aws's ec2.py)."""

import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, Description, TagApi, tags_to_dict

POLL_INTERVAL = 2


class AnsibleServiceDiscoveryError(AnsibleAWSError):
    pass


class ServiceDiscoveryErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleServiceDiscoveryError

    @classmethod
    def _is_missing(cls) -> Any:
        return is_boto3_error_code(["NamespaceNotFound", "ServiceNotFound"])


# Cloud Map tags resources by ARN with Key/Value items.
CLOUD_MAP_TAGS = TagApi("ResourceARN", ServiceDiscoveryErrorHandler)


def new_request_id(prefix: str) -> str:
    """An idempotency token: a retried create does not make a second resource."""
    return f"{prefix}-{time.time_ns()}"[:64]


def dns_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DNS records in option form ({type, ttl}) as Cloud Map's DnsRecords (Type and TTL, not Ttl)."""
    return [{"Type": record["type"], "TTL": record["ttl"]} for record in records]


def soa_properties(ttl: int) -> dict[str, Any]:
    """A private DNS namespace's Properties setting the TTL of its SOA record (SOA and TTL, not Soa and Ttl)."""
    return {"DnsProperties": {"SOA": {"TTL": ttl}}}


def wait_for_operation(module: AnsibleAWSModule, sd: Client, operation_id: str, what: str, timeout: int) -> Description:
    """Poll GetOperation until the asynchronous operation succeeds; fail on FAIL or after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        operation = get_operation(sd, operation_id, what)
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


@ServiceDiscoveryErrorHandler.common_error_handler("read Cloud Map operation {operation_id} ({what})")
def get_operation(sd: Client, operation_id: str, what: str) -> Description:
    return sd.get_operation(aws_retry=True, OperationId=operation_id)["Operation"]


@ServiceDiscoveryErrorHandler.common_error_handler("list the tags of {arn}")
def list_tags(sd: Client, arn: str) -> dict[str, str]:
    return tags_to_dict(sd.list_tags_for_resource(aws_retry=True, ResourceARN=arn).get("Tags"))


# ---------------------------------------------------------------------------------------------------- namespaces


@ServiceDiscoveryErrorHandler.common_error_handler("list Cloud Map namespaces")
@AWSRetry.jittered_backoff()  # a paginator's calls take no aws_retry: retry the whole listing
def list_namespaces(sd: Client, name: str) -> list[Description]:
    """Private DNS namespaces called `name` (summaries)."""
    pages = (
        sd.get_paginator("list_namespaces")
        .paginate(Filters=[{"Name": "TYPE", "Values": ["DNS_PRIVATE"], "Condition": "EQ"}])
        .build_full_result()
    )
    return [ns for ns in pages.get("Namespaces", []) if ns.get("Type") == "DNS_PRIVATE" and ns.get("Name") == name]


@ServiceDiscoveryErrorHandler.common_error_handler("read Cloud Map namespace {namespace_id}")
def get_namespace(sd: Client, namespace_id: str) -> Description:
    return sd.get_namespace(aws_retry=True, Id=namespace_id)["Namespace"]


@ServiceDiscoveryErrorHandler.common_error_handler("read the hosted zone {hosted_zone_id} of a Cloud Map namespace")
def hosted_zone_vpcs(route53: Client, hosted_zone_id: str) -> list[str]:
    """The VPCs of the private hosted zone Cloud Map made for a namespace (a Route 53 call)."""
    zone = route53.get_hosted_zone(aws_retry=True, Id=hosted_zone_id)
    return [vpc["VPCId"] for vpc in zone.get("VPCs", [])]


@ServiceDiscoveryErrorHandler.common_error_handler("create Cloud Map namespace {name}")
def create_private_dns_namespace(sd: Client, name: str, request: dict[str, Any]) -> str:
    """The id of the operation that creates it."""
    return sd.create_private_dns_namespace(aws_retry=True, Name=name, **request)["OperationId"]


@ServiceDiscoveryErrorHandler.common_error_handler("update Cloud Map namespace {name}")
def update_private_dns_namespace(sd: Client, name: str, namespace_id: str, change: dict[str, Any]) -> str:
    """The id of the operation that updates it."""
    return sd.update_private_dns_namespace(
        aws_retry=True, Id=namespace_id, Namespace=change, UpdaterRequestId=new_request_id(name)
    )["OperationId"]


@ServiceDiscoveryErrorHandler.deletion_error_handler("delete Cloud Map namespace {name}")
def delete_namespace(sd: Client, name: str, namespace_id: str) -> str | bool:
    """The id of the operation that deletes it; False when it was already gone (deleted meanwhile)."""
    return sd.delete_namespace(aws_retry=True, Id=namespace_id)["OperationId"]


# ---------------------------------------------------------------------------------------------------- services


@ServiceDiscoveryErrorHandler.common_error_handler("list the Cloud Map services of {namespace_id}")
@AWSRetry.jittered_backoff()  # a paginator's calls take no aws_retry: retry the whole listing
def list_services(sd: Client, namespace_id: str) -> list[Description]:
    """Service summaries of one namespace."""
    pages = (
        sd.get_paginator("list_services")
        .paginate(Filters=[{"Name": "NAMESPACE_ID", "Values": [namespace_id], "Condition": "EQ"}])
        .build_full_result()
    )
    services = pages.get("Services", [])
    # Not every Cloud Map implementation applies the filter; keep the namespace's own services.
    return [s for s in services if s.get("NamespaceId", namespace_id) == namespace_id]


@ServiceDiscoveryErrorHandler.common_error_handler("read Cloud Map service {service_id}")
def get_service(sd: Client, service_id: str) -> Description:
    return sd.get_service(aws_retry=True, Id=service_id)["Service"]


@ServiceDiscoveryErrorHandler.common_error_handler("create Cloud Map service {name}")
def create_service(sd: Client, name: str, request: dict[str, Any]) -> None:
    sd.create_service(aws_retry=True, Name=name, **request)


@ServiceDiscoveryErrorHandler.common_error_handler("update Cloud Map service {name}")
def update_service(sd: Client, name: str, service_id: str, change: dict[str, Any]) -> str:
    """The id of the operation that updates it."""
    return sd.update_service(aws_retry=True, Id=service_id, Service=change)["OperationId"]


@ServiceDiscoveryErrorHandler.deletion_error_handler("delete Cloud Map service {name}")
def delete_service(sd: Client, name: str, service_id: str) -> bool:
    """False when it was already gone (deleted meanwhile: the goal is reached)."""
    sd.delete_service(aws_retry=True, Id=service_id)
    return True
