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

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecs import (
    AWS_ERRORS,
    Client,
    Description,
    client,
    ensure_tags,
    predict_tags,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.servicediscovery import (
    list_namespaces,
    list_tags,
    new_request_id,
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


class NamespaceTask:
    def __init__(self, module: AnsibleAWSModule, sd: Client, route53: Client) -> None:
        self.module = module
        self.sd = sd
        self.route53 = route53
        self.params = module.params
        self.name: str = self.params["name"]
        self.vpc_id: str = self.params["vpc_id"]

    def zone_vpcs(self, hosted_zone_id: str | None) -> list[str]:
        if not hosted_zone_id:
            return []
        try:
            zone = self.route53.get_hosted_zone(aws_retry=True, Id=hosted_zone_id)
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to read hosted zone {hosted_zone_id}")
        return [vpc["VPCId"] for vpc in zone.get("VPCs", [])]

    def find(self) -> Description | None:
        """The namespace with this name in this VPC, with HostedZoneId, VpcId and Tags; None if there is none."""
        for summary in list_namespaces(self.module, self.sd, self.name):
            try:
                namespace = self.sd.get_namespace(aws_retry=True, Id=summary["Id"])["Namespace"]
            except AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg=f"Failed to read Cloud Map namespace {summary['Id']}")
            dns = (namespace.get("Properties") or {}).get("DnsProperties") or {}
            if self.vpc_id in self.zone_vpcs(dns.get("HostedZoneId")):
                namespace["HostedZoneId"] = dns.get("HostedZoneId")
                namespace["VpcId"] = self.vpc_id
                namespace["Tags"] = list_tags(self.module, self.sd, namespace["Arn"])
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
        params: dict[str, Any] = {
            "Name": self.name,
            "Vpc": self.vpc_id,
            "CreatorRequestId": new_request_id(self.name),
        }
        if wanted["description"]:
            params["Description"] = wanted["description"]
        if wanted["soa_ttl"] is not None:
            params["Properties"] = {"DnsProperties": {"SOA": {"TTL": wanted["soa_ttl"]}}}
        if wanted["tags"]:
            params["Tags"] = ansible_dict_to_boto3_tag_list(wanted["tags"])
        try:
            operation_id = self.sd.create_private_dns_namespace(aws_retry=True, **params)["OperationId"]
        except AWS_ERRORS as e:
            self.module.fail_json_aws(e, msg=f"Failed to create Cloud Map namespace {self.name}")
        wait_for_operation(
            self.module, self.sd, operation_id, f"creating namespace {self.name}", self.params["wait_timeout"]
        )

    def update(self, namespace: Description, before: dict[str, Any], after: dict[str, Any]) -> None:
        change: dict[str, Any] = {}
        if before["description"] != after["description"]:
            change["Description"] = after["description"]
        if before["soa_ttl"] != after["soa_ttl"] and after["soa_ttl"] is not None:
            change["Properties"] = {"DnsProperties": {"SOA": {"TTL": after["soa_ttl"]}}}
        if change:
            try:
                operation_id = self.sd.update_private_dns_namespace(
                    aws_retry=True, Id=namespace["Id"], Namespace=change, UpdaterRequestId=new_request_id(self.name)
                )["OperationId"]
            except AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg=f"Failed to update Cloud Map namespace {self.name}")
            wait_for_operation(
                self.module, self.sd, operation_id, f"updating namespace {self.name}", self.params["wait_timeout"]
            )
        ensure_tags(
            self.module,
            self.sd,
            namespace["Arn"],
            before["tags"],
            self.params["tags"],
            self.params["purge_tags"],
            lowercase_keys=False,
        )

    def absent(self) -> dict[str, Any]:
        namespace = self.find()
        if namespace is None:
            return self.result(False, {}, {}, None)
        if not self.module.check_mode:
            try:
                operation_id = self.sd.delete_namespace(aws_retry=True, Id=namespace["Id"])["OperationId"]
            except AWS_ERRORS as e:
                self.module.fail_json_aws(e, msg=f"Failed to delete Cloud Map namespace {self.name}")
            wait_for_operation(
                self.module, self.sd, operation_id, f"deleting namespace {self.name}", self.params["wait_timeout"]
            )
        return self.result(True, self.summarize(namespace), {}, None)

    def result(
        self, changed: bool, before: dict[str, Any], after: dict[str, Any], namespace: Description | None
    ) -> dict[str, Any]:
        described: dict[str, Any] = {}
        if namespace:
            described = camel_dict_to_snake_dict({k: v for k, v in namespace.items() if k != "Tags"})
            described["tags"] = namespace["Tags"]
        result: dict[str, Any] = {"changed": changed, "namespace": described}
        if self.module._diff:
            result["diff"] = {"before": before, "after": after}
        return result


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    task = NamespaceTask(module, client(module, "servicediscovery"), client(module, "route53"))
    result = task.present() if module.params["state"] == "present" else task.absent()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
