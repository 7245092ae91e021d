"""A VPC with subnets in three Availability Zones and two security groups, made directly with boto3."""

from dataclasses import dataclass

import boto3


@dataclass(frozen=True)
class Network:
    vpc_id: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    default_security_group_id: str


def make_network(region: str) -> Network:
    ec2 = boto3.client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.20.{index}.0/24", AvailabilityZone=f"{region}{zone}")["Subnet"][
            "SubnetId"
        ]
        for index, zone in enumerate("abc", start=1)
    ]
    security_group_ids = [
        ec2.create_security_group(VpcId=vpc_id, GroupName=name, Description=name)["GroupId"]
        for name in ("efs-clients", "efs-admin")
    ]
    [default_group] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    return Network(vpc_id, subnet_ids, security_group_ids, default_group["GroupId"])
