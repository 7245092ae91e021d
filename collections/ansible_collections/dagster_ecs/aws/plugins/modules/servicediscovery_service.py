#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: servicediscovery_service
short_description: Manage an AWS Cloud Map service with DNS records in a namespace
version_added: 0.1.0
description:
  - Create, update or delete the Cloud Map service O(name) in the namespace O(namespace_id), for ECS service
    discovery (ECS registers each task's IP address as an instance).
  - The description and the DNS records (types and TTLs) are updated in place; UpdateService is asynchronous
    and the module polls GetOperation.
  - AWS cannot change the routing policy or the custom health check configuration of a service. When they
    differ the module fails naming them, or deletes and recreates the service when O(force_replace=true)
    (AWS refuses while instances are registered).
  - Supports check mode and diff mode.
author: dagster-ecs maintainers
options:
  state:
    description: V(present) creates or updates the service; V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Service name, the first label of its DNS name (V(main) answers V(main.<namespace>)).
    type: str
    required: true
  namespace_id:
    description: ID of the namespace.
    type: str
    required: true
  description:
    description: Description; not managed when unset.
    type: str
  dns_records:
    description: DNS records Route 53 creates for each instance.
    type: list
    elements: dict
    default: [{type: A, ttl: 10}]
    suboptions:
      type:
        description: Record type.
        type: str
        choices: [A, AAAA, SRV, CNAME]
        required: true
      ttl:
        description: Record TTL in seconds.
        type: int
        default: 10
  routing_policy:
    description: V(MULTIVALUE) answers with up to eight healthy instances; V(WEIGHTED) with one at random.
    type: str
    choices: [MULTIVALUE, WEIGHTED]
    default: MULTIVALUE
  health_check_custom_config:
    description:
      - Whether instance health comes from the registrar (ECS reports task health). Cannot be changed.
    type: bool
    default: true
  force_replace:
    description: Delete and recreate the service when settings AWS cannot change differ.
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait for an asynchronous operation.
    type: int
    default: 300
extends_documentation_fragment:
  - dagster_ecs.aws.require_tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: main.dagster-ecs-dev.local answers with the code server tasks of repository main
  dagster_ecs.aws.servicediscovery_service:
    name: main
    namespace_id: "{{ namespace.namespace.id }}"
    dns_records: [{type: A, ttl: 10}]
    routing_policy: MULTIVALUE
    tags:
      Project: dagster-ecs
      Repository: main
"""

RETURN = r"""
service:
  description: The service after the task (in check mode, as it was), snake_case; empty when absent.
  returned: always
  type: dict
  contains:
    id:
      description: Service ID.
      type: str
      sample: srv-abcdefgh
    arn:
      description: Service ARN, the registry ARN of an ECS service.
      type: str
    name:
      description: Service name.
      type: str
    tags:
      description: Tags as a dict.
      type: dict
replaced:
  description: Whether the service was (or, in check mode, would be) deleted and recreated.
  returned: always
  type: bool
"""

from typing import Any

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    converge_tags,
    differences,
    lacks_required_tags,
    predict_tags,
    result,
    retrying_client,
    snake_description,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.servicediscovery import (
    CLOUD_MAP_TAGS,
    AnsibleServiceDiscoveryError,
    create_service,
    delete_service,
    dns_records,
    get_service,
    list_services,
    list_tags,
    new_request_id,
    update_service,
    wait_for_operation,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "name": {"required": True},
    "namespace_id": {"required": True},
    "description": {},
    "dns_records": {
        "type": "list",
        "elements": "dict",
        "default": [{"type": "A", "ttl": 10}],
        "options": {
            "type": {"required": True, "choices": ["A", "AAAA", "SRV", "CNAME"]},
            "ttl": {"type": "int", "default": 10},
        },
    },
    "routing_policy": {"default": "MULTIVALUE", "choices": ["MULTIVALUE", "WEIGHTED"]},
    "health_check_custom_config": {"type": "bool", "default": True},
    "force_replace": {"type": "bool", "default": False},
    "wait_timeout": {"type": "int", "default": 300},
    "require_tags": {"type": "dict"},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}
IMMUTABLE = ("routing_policy", "health_check_custom_config")


def records(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return sorted(
        (
            {"type": item.get("type") or item.get("Type"), "ttl": item.get("ttl", item.get("TTL"))}
            for item in items or []
        ),
        key=lambda record: record["type"],
    )


def create_request(name: str, namespace_id: str, wanted: dict[str, Any]) -> dict[str, Any]:
    """CreateService's parameters (but the name) for the summary `wanted`."""
    request = snake_dict_to_camel_dict(
        {
            "namespace_id": namespace_id,
            "creator_request_id": new_request_id(name),
            "dns_config": {"routing_policy": wanted["routing_policy"]},
        },
        capitalize_first=True,
    )
    request["DnsConfig"]["DnsRecords"] = dns_records(wanted["dns_records"])
    if wanted["description"]:
        request["Description"] = wanted["description"]
    if wanted["health_check_custom_config"]:
        # FailureThreshold is deprecated; AWS always uses 1.
        request["HealthCheckCustomConfig"] = {"FailureThreshold": 1}
    if wanted["tags"]:
        request["Tags"] = ansible_dict_to_boto3_tag_list(wanted["tags"])
    return request


def update_request(after: dict[str, Any]) -> dict[str, Any]:
    """UpdateService's Service: it replaces the DNS records and the description, so both are always sent."""
    return {"Description": after["description"], "DnsConfig": {"DnsRecords": dns_records(after["dns_records"])}}


class DiscoveryServiceTask:
    def __init__(self, module: AnsibleAWSModule, sd: Client) -> None:
        self.module = module
        self.sd = sd
        self.params = module.params
        self.name: str = self.params["name"]
        self.namespace_id: str = self.params["namespace_id"]

    def find(self) -> Description | None:
        found = [s for s in list_services(self.sd, self.namespace_id) if s.get("Name") == self.name]
        if not found:
            return None
        service = get_service(self.sd, found[0]["Id"])
        service["Tags"] = list_tags(self.sd, service["Arn"])
        return service

    @staticmethod
    def summarize(service: Description | None) -> dict[str, Any]:
        if not service:
            return {}
        dns = service.get("DnsConfig") or {}
        return {
            "name": service["Name"],
            "namespace_id": service.get("NamespaceId") or dns.get("NamespaceId"),
            "description": service.get("Description") or "",
            "dns_records": records(dns.get("DnsRecords")),
            "routing_policy": dns.get("RoutingPolicy") or "MULTIVALUE",
            "health_check_custom_config": service.get("HealthCheckCustomConfig") is not None,
            "tags": service["Tags"],
        }

    def present(self) -> dict[str, Any]:
        p = self.params
        service = self.find()
        before = self.summarize(service)
        after = dict(before) if service else {"name": self.name, "namespace_id": self.namespace_id, "description": ""}
        if p["description"] is not None:
            after["description"] = p["description"]
        after["dns_records"] = records(p["dns_records"])
        after["routing_policy"] = p["routing_policy"]
        after["health_check_custom_config"] = p["health_check_custom_config"]
        after["tags"] = predict_tags(before.get("tags", {}), p["tags"], p["purge_tags"])
        replace = False
        if service:
            blocking = [line for key in IMMUTABLE for line in differences(before[key], after[key], key)]
            if blocking and not p["force_replace"]:
                self.module.fail_json(
                    msg=f"Cloud Map service {self.name} differs in settings AWS cannot change: {'; '.join(blocking)}. "
                    "Set force_replace=true to delete and recreate it (deregister its instances first).",
                )
            replace = bool(blocking)
            if replace:
                after["tags"] = dict(p["tags"] or {})
        changed = before != after
        if changed and not self.module.check_mode:
            if service is None or replace:
                if service is not None:
                    self.delete(service)
                self.create(after)
            else:
                self.update(service, before, after)
            service = self.find()
        return self.result(changed, before, after, service, replace)

    def create(self, wanted: dict[str, Any]) -> None:
        create_service(self.sd, self.name, create_request(self.name, self.namespace_id, wanted))

    def update(self, service: Description, before: dict[str, Any], after: dict[str, Any]) -> None:
        if before["description"] != after["description"] or before["dns_records"] != after["dns_records"]:
            operation_id = update_service(self.sd, self.name, service["Id"], update_request(after))
            wait_for_operation(
                self.module, self.sd, operation_id, f"updating service {self.name}", self.params["wait_timeout"]
            )
        converge_tags(
            self.module,
            self.sd,
            CLOUD_MAP_TAGS,
            service["Arn"],
            before["tags"],
            self.params["tags"],
            self.params["purge_tags"],
        )

    def delete(self, service: Description) -> None:
        delete_service(self.sd, self.name, service["Id"])

    def absent(self) -> dict[str, Any]:
        service = self.find()
        if service is None or lacks_required_tags(self.module, f"Cloud Map service {self.name}", service["Tags"]):
            return self.result(False, {}, {}, None, False)
        if not self.module.check_mode:
            self.delete(service)
        return self.result(True, self.summarize(service), {}, None, False)

    def result(
        self,
        changed: bool,
        before: dict[str, Any],
        after: dict[str, Any],
        service: Description | None,
        replaced: bool,
    ) -> dict[str, Any]:
        return result(self.module, changed, before, after, service=snake_description(service), replaced=replaced)


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    task = DiscoveryServiceTask(module, retrying_client(module, "servicediscovery"))
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleServiceDiscoveryError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
