# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every dagster_ecs.aws module shares: the AWS error types, a retrying client, and tag convergence.

The service helpers (ecs.py, efs.py, secretsmanager.py, servicediscovery.py) and the modules build on these;
a service only says how its TagResource / UntagResource name the resource and the tags.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

try:
    from botocore.exceptions import BotoCoreError, ClientError

    AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import ansible_dict_to_boto3_tag_list, compare_aws_tags

# boto3 clients and their answers are untyped.
Client = Any
Description = dict[str, Any]
Tags = dict[str, str]


def client(module: AnsibleAWSModule, service: str) -> Client:
    """A boto3 client retried with jittered backoff when called with aws_retry=True."""
    return module.client(service, retry_decorator=AWSRetry.jittered_backoff())


def predict_tags(current: Tags, wanted: Tags | None, purge: bool) -> Tags:
    """The tags a resource will have once its tags are converged (tags=None leaves them alone)."""
    if wanted is None:
        return dict(current)
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    result = {key: value for key, value in current.items() if key not in to_unset}
    result.update(to_set)
    return result


@dataclass(frozen=True)
class TagApi:
    """How one service's TagResource / UntagResource name the resource, the tag list and the tag keys."""

    resource_key: str  # e.g. resourceArn (ECS, ECR), ResourceARN (Cloud Map), ResourceId (EFS)
    tags_key: str = "Tags"
    keys_key: str = "TagKeys"
    tag_list: Callable[[Tags], Any] = ansible_dict_to_boto3_tag_list


def converge_tags(
    module: AnsibleAWSModule, aws: Client, api: TagApi, resource: str, current: Tags, wanted: Tags | None, purge: bool
) -> bool:
    """Converge the tags of `resource` (its ARN or id); True if anything changed (also in check mode, where
    nothing is written). tags=None leaves the tags alone."""
    if wanted is None:
        return False
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    if not (to_set or to_unset):
        return False
    if module.check_mode:
        return True
    try:
        if to_unset:
            aws.untag_resource(aws_retry=True, **{api.resource_key: resource, api.keys_key: to_unset})
        if to_set:
            aws.tag_resource(aws_retry=True, **{api.resource_key: resource, api.tags_key: api.tag_list(to_set)})
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to update the tags of {resource}")
    return True
