"""dagster_ecs.aws.servicediscovery_namespace run through PlaybookRunner against the emulator, checked with boto3."""

from typing import Any

import boto3

from tests.ansible_modules.playbook import PlaybookRunner, task

# The emulator with every correction, and a runner that refuses write calls in check mode.

MODULE = "dagster_ecs.aws.servicediscovery_namespace"


def test_namespace_in_the_vpc_is_created_once_updated_in_place_and_deleted(playbook: PlaybookRunner):
    vpc_id = boto3.client("ec2").create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    sd: Any = boto3.client("servicediscovery")
    args = {"name": "dagster-test.local", "vpc_id": vpc_id, "description": "code servers", "tags": {"Project": "p"}}

    [predicted] = playbook.run([task(MODULE, args)], check=True)
    assert (predicted["changed"], predicted["namespace"]) == (True, {})
    created, again = playbook.run([task(MODULE, args), task(MODULE, args)])
    assert (created["changed"], again["changed"]) == (True, False)
    namespace = created["namespace"]
    assert namespace["name"] == "dagster-test.local"
    assert namespace["type"] == "DNS_PRIVATE"
    assert namespace["vpc_id"] == vpc_id
    zone = boto3.client("route53").get_hosted_zone(Id=namespace["hosted_zone_id"])
    assert zone["HostedZone"]["Config"]["PrivateZone"] is True
    assert [vpc["VPCId"] for vpc in zone["VPCs"]] == [vpc_id]
    assert sd.list_tags_for_resource(ResourceARN=namespace["arn"])["Tags"] == [{"Key": "Project", "Value": "p"}]

    changed = {**args, "description": "Dagster code servers", "soa_ttl": 60, "tags": {"Project": "q"}}
    [checked] = playbook.run([task(MODULE, changed)], check=True)
    assert checked["changed"] is True
    assert checked["diff"]["after"]["description"] == "Dagster code servers"
    updated, settled = playbook.run([task(MODULE, changed), task(MODULE, changed)])
    assert (updated["changed"], settled["changed"]) == (True, False)
    assert updated["namespace"]["id"] == namespace["id"]
    described = sd.get_namespace(Id=namespace["id"])["Namespace"]
    assert described["Description"] == "Dagster code servers"
    assert described["Properties"]["DnsProperties"]["SOA"]["TTL"] == 60
    assert sd.list_tags_for_resource(ResourceARN=namespace["arn"])["Tags"] == [{"Key": "Project", "Value": "q"}]

    gone = {"name": "dagster-test.local", "vpc_id": vpc_id, "state": "absent"}
    removed, removed_again = playbook.run([task(MODULE, gone), task(MODULE, gone)])
    assert (removed["changed"], removed_again["changed"]) == (True, False)
    assert sd.list_namespaces()["Namespaces"] == []


def test_a_namespace_of_the_same_name_in_another_vpc_is_not_this_one(playbook: PlaybookRunner):
    ec2: Any = boto3.client("ec2")
    first, second = (ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"] for n in (31, 32))
    a, b = playbook.run(
        [
            task(MODULE, {"name": "shared.local", "vpc_id": first}),
            task(MODULE, {"name": "shared.local", "vpc_id": second}),
        ]
    )
    assert (a["changed"], b["changed"]) == (True, True)
    assert a["namespace"]["id"] != b["namespace"]["id"]
