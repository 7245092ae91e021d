#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: servicediscovery_namespace
short_description: Manage an AWS Cloud Map private DNS namespace
version_added: 0.1.0
description:
  - Create, update or delete the private DNS namespace O(name) in the VPC O(vpc_id). A namespace is identified
    by its name and the VPC of its Route 53 private hosted zone.
  - CreatePrivateDnsNamespace, UpdatePrivateDnsNamespace and DeleteNamespace are asynchronous; the module polls
    GetOperation until they finish.
  - The description and the SOA record's TTL are updated in place; tags with TagResource / UntagResource.
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  state:
    description:
      - V(present) creates or updates the namespace.
      - V(absent) deletes it (AWS refuses while it still has services).
    type: str
    choices: [present, absent]
    default: present
  name:
    description: DNS name of the namespace, e.g. V(dagster-ecs-dev.local).
    type: str
    required: true
  vpc_id:
    description: The VPC whose resolver answers for the namespace.
    type: str
    required: true
  description:
    description: Description; not managed when unset.
    type: str
  soa_ttl:
    description: TTL of the namespace's SOA record in seconds; not managed when unset.
    type: int
  wait_timeout:
    description: Seconds to wait for an asynchronous operation.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Names of the code servers
  dagster_ecs.aws.servicediscovery_namespace:
    name: dagster-ecs-dev.local
    vpc_id: vpc-0123456789abcdef0
    description: Dagster code servers
    tags:
      Project: dagster-ecs
"""

RETURN = r"""
namespace:
  description: The namespace after the task (in check mode, as it was); empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Namespace ID.
      type: str
      sample: ns-abcdefghijklmnop
    arn:
      description: Namespace ARN.
      type: str
    name:
      description: DNS name.
      type: str
    hosted_zone_id:
      description: The Route 53 private hosted zone.
      type: str
    vpc_id:
      description: The VPC.
      type: str
    tags:
      description: Tags as a dict.
      type: dict
"""

from typing import Any

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    converge_tags,
    predict_tags,
    result,
    retrying_client,
    snake_description,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.servicediscovery import (
    CLOUD_MAP_TAGS,
    AnsibleServiceDiscoveryError,
    create_private_dns_namespace,
    delete_namespace,
    get_namespace,
    hosted_zone_vpcs,
    list_namespaces,
    list_tags,
    new_request_id,
    soa_properties,
    update_private_dns_namespace,
    wait_for_operation,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "name": {"required": True},
    "vpc_id": {"required": True},
    "description": {},
    "soa_ttl": {"type": "int"},
    "wait_timeout": {"type": "int", "default": 300},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}


def create_request(name: str, vpc_id: str, wanted: dict[str, Any]) -> dict[str, Any]:
    """CreatePrivateDnsNamespace's parameters (but the name) for the summary `wanted`."""
    request = snake_dict_to_camel_dict(
        {"vpc": vpc_id, "creator_request_id": new_request_id(name), "description": wanted["description"] or None},
        capitalize_first=True,
    )
    request = {key: value for key, value in request.items() if value is not None}
    if wanted["soa_ttl"] is not None:
        request["Properties"] = soa_properties(wanted["soa_ttl"])
    if wanted["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(wanted["tags"])
    return request


def update_request(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """UpdatePrivateDnsNamespace's Namespace for what differs; empty when nothing it can change does."""
    change: dict[str, Any] = {}
    if before["description"] != after["description"]:
        change["Description"] = after["description"]
    if before["soa_ttl"] != after["soa_ttl"] and after["soa_ttl"] is not None:
        change["Properties"] = soa_properties(after["soa_ttl"])
    return change


class NamespaceTask:
    def __init__(self, module: AnsibleAWSModule, sd: Client, route53: Client) -> None:
        self.module = module
        self.sd = sd
        self.route53 = route53
        self.params = module.params
        self.name: str = self.params["name"]
        self.vpc_id: str = self.params["vpc_id"]

    def find(self) -> Description | None:
        """The namespace with this name in this VPC, with HostedZoneId, VpcId and Tags; None if there is none."""
        for summary in list_namespaces(self.sd, self.name):
            namespace = get_namespace(self.sd, summary["Id"])
            hosted_zone_id = ((namespace.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
            if hosted_zone_id and self.vpc_id in hosted_zone_vpcs(self.route53, hosted_zone_id):
                namespace["HostedZoneId"] = hosted_zone_id
                namespace["VpcId"] = self.vpc_id
                namespace["Tags"] = list_tags(self.sd, namespace["Arn"])
                return namespace
        return None

    @staticmethod
    def summarize(namespace: Description | None) -> dict[str, Any]:
        if not namespace:
            return {}
        dns = (namespace.get("Properties") or {}).get("DnsProperties") or {}
        return {
            "name": namespace["Name"],
            "vpc_id": namespace["VpcId"],
            "description": namespace.get("Description") or "",
            "soa_ttl": (dns.get("SOA") or {}).get("TTL"),
            "tags": namespace["Tags"],
        }

    def present(self) -> dict[str, Any]:
        p = self.params
        namespace = self.find()
        before = self.summarize(namespace)
        after = dict(before) if namespace else {"name": self.name, "vpc_id": self.vpc_id, "description": ""}
        if p["description"] is not None:
            after["description"] = p["description"]
        if p["soa_ttl"] is not None:
            after["soa_ttl"] = p["soa_ttl"]
        elif not namespace:
            after["soa_ttl"] = None
        after["tags"] = predict_tags(before.get("tags", {}), p["tags"], p["purge_tags"])
        changed = before != after
        if changed and not self.module.check_mode:
            if namespace is None:
                self.create(after)
            else:
                self.update(namespace, before, after)
            namespace = self.find()
            if namespace is None:
                self.module.fail_json(
                    msg=f"Cloud Map namespace {self.name} is not in VPC {self.vpc_id} after the change"
                )
        return self.result(changed, before, after, namespace)

    def create(self, wanted: dict[str, Any]) -> None:
        operation_id = create_private_dns_namespace(self.sd, self.name, create_request(self.name, self.vpc_id, wanted))
        wait_for_operation(
            self.module, self.sd, operation_id, f"creating namespace {self.name}", self.params["wait_timeout"]
        )

    def update(self, namespace: Description, before: dict[str, Any], after: dict[str, Any]) -> None:
        change = update_request(before, after)
        if change:
            operation_id = update_private_dns_namespace(self.sd, self.name, namespace["Id"], change)
            wait_for_operation(
                self.module, self.sd, operation_id, f"updating namespace {self.name}", self.params["wait_timeout"]
            )
        converge_tags(
            self.module,
            self.sd,
            CLOUD_MAP_TAGS,
            namespace["Arn"],
            before["tags"],
            self.params["tags"],
            self.params["purge_tags"],
        )

    def absent(self) -> dict[str, Any]:
        namespace = self.find()
        if namespace is None:
            return self.result(False, {}, {}, None)
        if not self.module.check_mode:
            operation_id = delete_namespace(self.sd, self.name, namespace["Id"])
            if operation_id:  # False: deleted meanwhile
                wait_for_operation(
                    self.module, self.sd, operation_id, f"deleting namespace {self.name}", self.params["wait_timeout"]
                )
        return self.result(True, self.summarize(namespace), {}, None)

    def result(
        self, changed: bool, before: dict[str, Any], after: dict[str, Any], namespace: Description | None
    ) -> dict[str, Any]:
        return result(self.module, changed, before, after, namespace=snake_description(namespace))


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    task = NamespaceTask(module, retrying_client(module, "servicediscovery"), retrying_client(module, "route53"))
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleServiceDiscoveryError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
