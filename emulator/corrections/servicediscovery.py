"""AWS Cloud Map as AWS documents it, where moto 5.2.5 differs (docs/moto-deviations.md, section Cloud Map).

- CreatePrivateDnsNamespace creates a private hosted zone called `<name>-hz` associated with no VPC, reports
  its id as `/hostedzone/<id>`, and refuses a second namespace in the same VPC. AWS creates the hosted zone
  `<name>` associated with the namespace's VPC, reports the bare zone id, and only refuses a namespace whose
  name is already used by a namespace in that VPC.
- DeleteNamespace deletes a namespace that still has services and leaves its hosted zone behind; AWS answers
  ResourceInUse while services exist and deletes the zone with the namespace.
- DeleteService deletes a service that still has registered instances; AWS answers ResourceInUse.
- UpdatePrivateDnsNamespace replaces the namespace's DnsProperties with the request's, losing HostedZoneId;
  AWS changes only the SOA record's TTL.
- ListNamespaces and ListServices ignore their Filters (TYPE, NAME, NAMESPACE_ID).
"""

import contextlib
import json
from typing import Any

from moto.core.exceptions import JsonRESTError
from moto.route53.models import route53_backends
from moto.servicediscovery.exceptions import ConflictingDomainExists
from moto.servicediscovery.models import Namespace, ServiceDiscoveryBackend
from moto.servicediscovery.responses import ServiceDiscoveryResponse
from moto.utilities.utils import get_partition


class ResourceInUse(JsonRESTError):
    def __init__(self, message: str) -> None:
        super().__init__("ResourceInUse", message)


def _route53(backend: ServiceDiscoveryBackend) -> Any:
    return route53_backends[backend.account_id][get_partition(backend.region_name)]


def create_private_dns_namespace(
    self: ServiceDiscoveryBackend,
    name: str,
    creator_request_id: str,
    description: str,
    vpc: str,
    tags: list[dict[str, str]],
    properties: dict[str, Any],
) -> str:
    for namespace in self.namespaces.values():
        if namespace.vpc == vpc and namespace.name == name:
            raise ConflictingDomainExists(vpc)
    dns_properties = dict((properties or {}).get("DnsProperties") or {})
    dns_properties.setdefault("SOA", {"TTL": 15})
    zone = _route53(self).create_hosted_zone(
        name,
        private_zone=True,
        caller_reference=creator_request_id,
        vpcid=vpc,
        vpcregion=self.region_name,
        comment=f"Created by AWS Cloud Map namespace with ARN for {name}",
    )
    dns_properties["HostedZoneId"] = zone.resource_id
    namespace: Any = Namespace(
        account_id=self.account_id,
        region=self.region_name,
        name=name,
        ns_type="DNS_PRIVATE",
        creator_request_id=creator_request_id,
        description=description,
        dns_properties=dns_properties,
        http_properties={},
        vpc=vpc,
    )
    self.namespaces[namespace.id] = namespace
    if tags:
        self.tagger.tag_resource(namespace.arn, tags)
    return self._create_operation("CREATE_NAMESPACE", targets={"NAMESPACE": namespace.id})


_original_delete_namespace = ServiceDiscoveryBackend.delete_namespace
_original_delete_service = ServiceDiscoveryBackend.delete_service


def delete_namespace(self: ServiceDiscoveryBackend, namespace_id: str) -> str:
    namespace = self.get_namespace(namespace_id)
    if any(service.namespace_id == namespace_id for service in self.services.values()):
        raise ResourceInUse(f"Namespace {namespace_id} has associated services, delete them first.")
    zone_id = (namespace.dns_properties or {}).get("HostedZoneId")
    operation_id = _original_delete_namespace(self, namespace_id)
    if zone_id and namespace.type == "DNS_PRIVATE":
        with contextlib.suppress(JsonRESTError):  # the zone was already gone
            _route53(self).delete_hosted_zone(zone_id)
    return operation_id


def delete_service(self: ServiceDiscoveryBackend, service_id: str) -> None:
    service = self.get_service(service_id)
    if service.instances:
        raise ResourceInUse(f"Service {service_id} has registered instances, deregister them first.")
    _original_delete_service(self, service_id)


def update_private_dns_namespace(
    self: ServiceDiscoveryBackend, _id: str, description: str, properties: dict[str, Any]
) -> str:
    namespace = self.get_namespace(namespace_id=_id)
    if description is not None:
        namespace.description = description
    if properties and "SOA" in properties:
        namespace.dns_properties = {**(namespace.dns_properties or {}), "SOA": properties["SOA"]}
    return self._create_operation("UPDATE_NAMESPACE", targets={"NAMESPACE": namespace.id})


def _matches(item: dict[str, Any], filters: list[dict[str, Any]], keys: dict[str, str]) -> bool:
    for condition in filters:
        key = keys.get(condition["Name"])
        if key is None:
            continue
        values = condition.get("Values") or []
        value = item.get(key) or (item.get("DnsConfig") or {}).get(key)
        if condition.get("Condition", "EQ") == "BEGINS_WITH":
            if not any(str(value).startswith(v) for v in values):
                return False
        elif value not in values:
            return False
    return True


def list_namespaces(self: ServiceDiscoveryResponse) -> tuple[int, dict[str, str], str]:
    filters = json.loads(self.body or "{}").get("Filters") or []
    namespaces = [ns.to_json() for ns in self.servicediscovery_backend.list_namespaces()]
    keys = {"TYPE": "Type", "NAME": "Name"}
    return 200, {}, json.dumps({"Namespaces": [ns for ns in namespaces if _matches(ns, filters, keys)]})


def list_services(self: ServiceDiscoveryResponse) -> str:
    filters = json.loads(self.body or "{}").get("Filters") or []
    services = [s.to_json() for s in self.servicediscovery_backend.list_services()]
    keys = {"NAMESPACE_ID": "NamespaceId"}
    return json.dumps({"Services": [s for s in services if _matches(s, filters, keys)]})


def apply() -> None:
    ServiceDiscoveryBackend.create_private_dns_namespace = create_private_dns_namespace  # type: ignore[method-assign]
    ServiceDiscoveryBackend.update_private_dns_namespace = update_private_dns_namespace  # type: ignore[method-assign]
    ServiceDiscoveryBackend.delete_namespace = delete_namespace  # type: ignore[method-assign]
    ServiceDiscoveryBackend.delete_service = delete_service  # type: ignore[method-assign]
    ServiceDiscoveryResponse.list_namespaces = list_namespaces  # type: ignore[method-assign]
    ServiceDiscoveryResponse.list_services = list_services  # type: ignore[method-assign]
