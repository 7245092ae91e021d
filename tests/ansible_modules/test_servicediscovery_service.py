"""dagster_ecs.aws.servicediscovery_service run through PlaybookRunner against the emulator, checked with boto3."""

from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner, task

# The emulator with every correction, and a runner that refuses write calls in check mode.

MODULE = "dagster_ecs.aws.servicediscovery_service"


@pytest.fixture
def namespace_id(playbook: PlaybookRunner) -> str:
    vpc_id = boto3.client("ec2").create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    sd: Any = boto3.client("servicediscovery")
    operation_id = sd.create_private_dns_namespace(Name="svc-test.local", Vpc=vpc_id)["OperationId"]
    return sd.get_operation(OperationId=operation_id)["Operation"]["Targets"]["NAMESPACE"]


def test_service_records_update_in_place_and_immutable_settings_need_force_replace(
    playbook: PlaybookRunner, namespace_id: str
):
    sd: Any = boto3.client("servicediscovery")
    args = {"name": "main", "namespace_id": namespace_id, "tags": {"Repository": "main"}}
    [predicted] = playbook.run([task(MODULE, args)], check=True)
    assert (predicted["changed"], predicted["service"]) == (True, {})
    created, again = playbook.run([task(MODULE, args), task(MODULE, args)])
    assert (created["changed"], again["changed"]) == (True, False)
    service = sd.get_service(Id=created["service"]["id"])["Service"]
    assert service["DnsConfig"]["RoutingPolicy"] == "MULTIVALUE"
    assert service["DnsConfig"]["DnsRecords"] == [{"Type": "A", "TTL": 10}]
    assert service["HealthCheckCustomConfig"] == {"FailureThreshold": 1}
    assert sd.list_tags_for_resource(ResourceARN=service["Arn"])["Tags"] == [{"Key": "Repository", "Value": "main"}]

    longer = {**args, "dns_records": [{"type": "A", "ttl": 60}]}
    [checked] = playbook.run([task(MODULE, longer)], check=True)
    assert checked["changed"] is True
    assert checked["diff"]["after"]["dns_records"] == [{"type": "A", "ttl": 60}]
    updated, settled = playbook.run([task(MODULE, longer), task(MODULE, longer)])
    assert (updated["changed"], settled["changed"]) == (True, False)
    assert updated["service"]["id"] == created["service"]["id"]
    assert sd.get_service(Id=created["service"]["id"])["Service"]["DnsConfig"]["DnsRecords"] == [
        {"Type": "A", "TTL": 60}
    ]

    weighted = {**longer, "routing_policy": "WEIGHTED"}
    [refused] = playbook.run([task(MODULE, weighted, ignore_errors=True)])
    assert refused["failed"] is True
    assert "routing_policy" in refused["msg"]
    assert "force_replace" in refused["msg"]
    [replaced] = playbook.run([task(MODULE, {**weighted, "force_replace": True})])
    assert (replaced["changed"], replaced["replaced"]) == (True, True)
    assert replaced["service"]["dns_config"]["routing_policy"] == "WEIGHTED"

    gone = {"name": "main", "namespace_id": namespace_id, "state": "absent"}
    removed, removed_again = playbook.run([task(MODULE, gone), task(MODULE, gone)])
    assert (removed["changed"], removed_again["changed"]) == (True, False)
    assert sd.list_services()["Services"] == []
