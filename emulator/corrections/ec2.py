"""EC2: security group rule description updates answer as AWS documents.

1. UpdateSecurityGroupRuleDescriptionsIngress and UpdateSecurityGroupRuleDescriptionsEgress return
   `<return>true</return>` on success
   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_UpdateSecurityGroupRuleDescriptionsIngress.html).
   moto returns an empty document, so amazon.aws.ec2_security_group fails with KeyError 'Return' whenever it
   sets the description of an existing rule (e.g. the default egress rule of a new group).
2. DescribeTags names resource types as the `resource-type` filter does
   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html): `elastic-ip`, `natgateway`,
   `dedicated-host`, `reserved-instances`, `spot-instances-request`. moto answers and filters with its internal
   names (`vpc-elastic-ip`, `nat-gateway`, ...), so a filter on `elastic-ip` or `natgateway` finds no tags and
   amazon.aws modules re-tag elastic IPs and NAT gateways on every run.
"""

from collections.abc import Callable

from moto.core.responses import ActionResult
from moto.ec2.models import tags as ec2_tags
from moto.ec2.responses.security_groups import SecurityGroups
from moto.ec2.utils import EC2_RESOURCE_TO_PREFIX

# moto's internal resource name -> the resource type AWS reports and filters on.
AWS_RESOURCE_TYPES = {
    "vpc-elastic-ip": "elastic-ip",
    "nat-gateway": "natgateway",
    "dedicated_host": "dedicated-host",
    "reserved-instance": "reserved-instances",
    "spot-instance-request": "spot-instances-request",
}


def _returning_true(original: Callable[[SecurityGroups], object]) -> Callable[[SecurityGroups], ActionResult]:
    def answer(self: SecurityGroups) -> ActionResult:
        original(self)
        return ActionResult({"Return": True})

    return answer


_applied: list[bool] = []


def apply() -> None:
    if _applied:
        return
    _applied.append(True)
    ec2_tags.EC2_PREFIX_TO_RESOURCE = {
        prefix: AWS_RESOURCE_TYPES.get(resource, resource) for resource, prefix in EC2_RESOURCE_TO_PREFIX.items()
    }
    for name in ("update_security_group_rule_descriptions_ingress", "update_security_group_rule_descriptions_egress"):
        setattr(SecurityGroups, name, _returning_true(getattr(SecurityGroups, name)))
