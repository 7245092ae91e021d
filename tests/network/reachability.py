"""Whether a TCP connection is allowed by EC2 security groups, read back from the account with boto3.

moto stores security groups but never applies them (FACTS.md), so the tests evaluate the rules themselves,
following AWS's documented semantics (VPC user guide, "Security group rules"):
- A connection needs an egress rule of one of the source's groups AND an ingress rule of one of the
  destination's groups; a party without groups (a host on the internet) filters nothing itself.
- Security groups are stateful: the reply of an allowed connection is allowed whatever the rules say, so only
  the direction the connection is opened in is evaluated.
- A rule naming a group matches every network interface associated with that group (membership, not
  addresses); a rule naming a CIDR matches the peer's address. Rules only allow; there are no deny rules.
- Protocol "-1" is every protocol and port; tcp rules match FromPort <= port <= ToPort.
"""

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Party:
    """One end of a connection: a network interface (its groups and private address) or an outside host."""

    name: str
    address: str
    groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Rule:
    protocol: str  # "-1" or "tcp", "udp", ...
    from_port: int
    to_port: int
    cidrs: frozenset[str]
    groups: frozenset[str]

    def matches(self, peer: Party, port: int, protocol: str = "tcp") -> bool:
        if self.protocol != "-1" and (self.protocol != protocol or not self.from_port <= port <= self.to_port):
            return False
        if peer.groups & self.groups:
            return True
        address = ipaddress.ip_address(peer.address)
        return any(address in ipaddress.ip_network(cidr) for cidr in self.cidrs)


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    name: str
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]


def _rules(permissions: Iterable[Mapping[str, Any]]) -> tuple[Rule, ...]:
    return tuple(
        Rule(
            protocol=str(permission["IpProtocol"]),
            from_port=int(permission.get("FromPort", -1)),
            to_port=int(permission.get("ToPort", -1)),
            cidrs=frozenset(r["CidrIp"] for r in permission.get("IpRanges", [])),
            groups=frozenset(p["GroupId"] for p in permission.get("UserIdGroupPairs", [])),
        )
        for permission in permissions
    )


def read_security_groups(ec2: Any, vpc_id: str) -> dict[str, SecurityGroup]:
    """Every security group of the VPC, by name, as DescribeSecurityGroups returns it."""
    pages = ec2.get_paginator("describe_security_groups").paginate(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    groups = [group for page in pages for group in page["SecurityGroups"]]
    return {
        group["GroupName"]: SecurityGroup(
            group_id=group["GroupId"],
            name=group["GroupName"],
            ingress=_rules(group.get("IpPermissions", [])),
            egress=_rules(group.get("IpPermissionsEgress", [])),
        )
        for group in groups
    }


def allowed(
    groups: Mapping[str, SecurityGroup], source: Party, destination: Party, port: int, protocol: str = "tcp"
) -> bool:
    """Whether `source` may open a connection to `destination` on `port` under the groups' rules."""
    by_id = {group.group_id: group for group in groups.values()}
    unknown = (source.groups | destination.groups) - by_id.keys()
    if unknown:
        raise KeyError(f"no such security group: {sorted(unknown)}")

    def passes(party: Party, peer: Party, direction: str) -> bool:
        if not party.groups:
            return True
        return any(
            rule.matches(peer, port, protocol)
            for group_id in party.groups
            for rule in getattr(by_id[group_id], direction)
        )

    return passes(source, destination, "egress") and passes(destination, source, "ingress")
