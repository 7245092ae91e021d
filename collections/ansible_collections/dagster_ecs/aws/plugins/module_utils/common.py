# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every dagster_ecs.aws module shares: the AWS error types, a retrying client, and tag convergence.

The service helpers (ecs.py, efs.py, secretsmanager.py, servicediscovery.py) and the modules build on these;
a service only says how its TagResource / UntagResource name the resource and the tags.
"""

from collections.abc import Callable
from typing import Any

try:
    from botocore.exceptions import BotoCoreError, ClientError

    AWS_ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
except ImportError:
    AWS_ERRORS = ()  # AnsibleAWSModule reports the missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import compare_aws_tags

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


def converge_tags(
    module: AnsibleAWSModule,
    resource: str,
    current: Tags,
    wanted: Tags | None,
    purge: bool,
    *,
    tag: Callable[[Tags], object],
    untag: Callable[[list[str]], object],
) -> bool:
    """Converge a resource's tags; True if anything changed (also in check mode, where nothing is written).

    `tag(tags)` and `untag(keys)` make the service's TagResource / UntagResource call (with aws_retry=True);
    tags=None leaves the tags alone. `resource` names the resource in the error message.
    """
    if wanted is None:
        return False
    to_set, to_unset = compare_aws_tags(current, wanted, purge_tags=purge)
    if not (to_set or to_unset):
        return False
    if module.check_mode:
        return True
    try:
        if to_unset:
            untag(to_unset)
        if to_set:
            tag(to_set)
    except AWS_ERRORS as e:
        module.fail_json_aws(e, msg=f"Failed to update the tags of {resource}")
    return True
