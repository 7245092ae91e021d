#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: ecs_task_definition
short_description: Register an Amazon ECS task definition revision only when the definition changes
version_added: 0.1.0
description:
  - Manages the task definition family O(family). The latest C(ACTIVE) revision is compared with the wanted
    definition after normalising both the way ECS does (the defaults the ECS API reference documents for members
    left out, such as C(enableFaultInjection=false) and C(versionConsistency=enabled); C(environment) and
    C(secrets) order, containers and volumes order, CPU and memory units), and a new revision is registered only
    when they really differ.
  - Only what the task sets and the members the API reference documents are compared, so a field AWS adds to its
    answers later (and that the task does not set) never causes a new revision, while a documented field the task
    stops setting is compared with its default.
  - Compared fields are every field of RegisterTaskDefinition except tags; among them C(cpu), C(memory),
    C(taskRoleArn), C(executionRoleArn), C(networkMode), C(requiresCompatibilities), C(runtimePlatform), every
    container definition and every volume, including C(efsVolumeConfiguration).
  - Tags of the current revision are updated in place (TagResource / UntagResource).
  - Supports check mode and diff mode. In check mode a new revision's C(family:revision) is predicted.
author: dagster-ecs maintainers
options:
  state:
    description:
      - V(present) registers a revision when the definition differs from the latest active one.
      - V(absent) deregisters every active revision of the family.
    type: str
    choices: [present, absent]
    default: present
  family:
    description: Task definition family.
    type: str
    required: true
  container_definitions:
    description:
      - Container definitions exactly as RegisterTaskDefinition takes them (camelCase keys).
      - Required when O(state=present).
    type: list
    elements: dict
  network_mode:
    description: Docker networking mode. ECS uses V(bridge) when unset (Fargate requires V(awsvpc)).
    type: str
    choices: [bridge, host, awsvpc, none]
  task_role_arn:
    description: IAM role the containers assume.
    type: str
  execution_role_arn:
    description: IAM role ECS uses to pull the image, write logs and read secrets.
    type: str
  cpu:
    description: Task CPU, in units (V(256)) or vCPU (V(0.25 vCPU)).
    type: str
  memory:
    description: Task memory, in MiB (V(512)) or GB (V(0.5 GB)).
    type: str
  requires_compatibilities:
    description: Launch types the definition is validated against, e.g. V([FARGATE]).
    type: list
    elements: str
  runtime_platform:
    description: Operating system and CPU architecture.
    type: dict
    suboptions:
      cpu_architecture:
        description: V(X86_64) or V(ARM64).
        type: str
        choices: [X86_64, ARM64]
      operating_system_family:
        description: e.g. V(LINUX).
        type: str
  volumes:
    description:
      - Volumes exactly as RegisterTaskDefinition takes them (camelCase keys), e.g. with
        C(efsVolumeConfiguration).
    type: list
    elements: dict
  ephemeral_storage_gib:
    description: Fargate ephemeral storage in GiB (21 to 200); the 20 GiB default when unset.
    type: int
  deregister_old_revisions:
    description:
      - Deregister every other active revision of the family once the current revision is in place.
      - Running tasks and services keep working; new tasks can no longer be started from those revisions.
    type: bool
    default: false
extends_documentation_fragment:
  - dagster_ecs.aws.require_tags
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Code server of repository main
  dagster_ecs.aws.ecs_task_definition:
    family: dagster-ecs-dev-code-main
    network_mode: awsvpc
    requires_compatibilities: [FARGATE]
    cpu: "512"
    memory: "1024"
    execution_role_arn: "{{ execution_role_arn }}"
    task_role_arn: "{{ repository_role_arn }}"
    container_definitions:
      - name: code-server
        image: 123456789012.dkr.ecr.ap-southeast-2.amazonaws.com/dagster-ecs:1.0.0
        command: [python, -m, dagster_ecs.container, code-server, main]
        portMappings: [{containerPort: 4000}]
        mountPoints: [{sourceVolume: dags, containerPath: /opt/dagster/dags/main, readOnly: true}]
    volumes:
      - name: dags
        efsVolumeConfiguration:
          fileSystemId: fs-0123456789abcdef0
          transitEncryption: ENABLED
          authorizationConfig: {accessPointId: fsap-0123456789abcdef0, iam: ENABLED}
    tags:
      Project: dagster-ecs
  register: code_server_task
"""

RETURN = r"""
family_revision:
  description: C(family:revision) of the current revision (predicted in check mode); empty when absent.
  returned: always
  type: str
  sample: dagster-ecs-dev-code-main:3
arn:
  description: ARN of the current revision; empty in check mode before it is registered, and when absent.
  returned: always
  type: str
revision:
  description: Revision number (predicted in check mode); 0 when absent.
  returned: always
  type: int
registered:
  description: Whether a new revision was (or, in check mode, would be) registered.
  returned: always
  type: bool
differences:
  description: What differed from the latest active revision, one line per field.
  returned: always
  type: list
  elements: str
deregistered:
  description: ARNs of the revisions deregistered (or that would be, in check mode).
  returned: always
  type: list
  elements: str
task_definition:
  description: The revision as DescribeTaskDefinition returns it (camelCase keys), with its C(tags) as a dict.
  returned: always
  type: dict
"""

import re
from dataclasses import dataclass, field
from typing import Any

from ansible.module_utils.common.dict_transformations import snake_dict_to_camel_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import (
    Client,
    Description,
    converge_tags,
    differences,
    drop_empty,
    lacks_required_tags,
    predict_tags,
    result,
    retrying_client,
    tags_to_dict,
)
from ansible_collections.dagster_ecs.aws.plugins.module_utils.ecs import (
    ECS_TAGS,
    AnsibleECSError,
    deregister_task_definition,
    describe_task_definition,
    ecs_tag_list,
    register_task_definition,
    task_definition_arns,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "state": {"default": "present", "choices": ["present", "absent"]},
    "family": {"required": True},
    "container_definitions": {"type": "list", "elements": "dict"},
    "network_mode": {"choices": ["bridge", "host", "awsvpc", "none"]},
    "task_role_arn": {},
    "execution_role_arn": {},
    "cpu": {},
    "memory": {},
    "requires_compatibilities": {"type": "list", "elements": "str"},
    "runtime_platform": {
        "type": "dict",
        "options": {
            "cpu_architecture": {"choices": ["X86_64", "ARM64"]},
            "operating_system_family": {},
        },
    },
    "volumes": {"type": "list", "elements": "dict"},
    "ephemeral_storage_gib": {"type": "int"},
    "deregister_old_revisions": {"type": "bool", "default": False},
    "require_tags": {"type": "dict"},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
}

# Fields of a description that are not part of the definition.
OUTPUT_ONLY = {
    "taskDefinitionArn",
    "revision",
    "status",
    "compatibilities",
    "requiresAttributes",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "deleteRequestedAt",
}
_UNITS = re.compile(r"^\s*([0-9.]+)\s*(vcpu|gb|mib|mb)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Shape:
    """A structure of the ECS API as its reference documents it: the members compared even when the task leaves
    them out (against `defaults`, AWS's value for a left-out member, or against nothing), and the shapes of
    members that are structures or lists of structures. A member not listed is compared only when the task sets
    it, so a field AWS adds to its answers later can never make a difference."""

    members: frozenset[str]
    defaults: dict[str, Any] = field(default_factory=dict)
    nested: dict[str, "Shape"] = field(default_factory=dict)


def _shape(members: str, defaults: dict[str, Any] | None = None, **nested: Shape) -> Shape:
    return Shape(frozenset(members.split()), defaults or {}, nested)


# Documented members and defaults, checked against the ECS API reference (RegisterTaskDefinition,
# ContainerDefinition, PortMapping, HealthCheck, MountPoint, Volume, EFSVolumeConfiguration, EFSAuthorizationConfig;
# December 2026) and botocore 1.44.8's ECS model. Left out on purpose: members whose value in AWS's answer for a
# request without them is not documented (trustedExecutionConfiguration, s3filesVolumeConfiguration); a task
# that stops setting one of those is not detected.
_KEY_VALUE = _shape("name value")
_MOUNT_POINT = _shape("sourceVolume containerPath readOnly", {"readOnly": False})
_CONTAINER = _shape(
    "name image repositoryCredentials cpu memory memoryReservation links portMappings essential restartPolicy"
    " entryPoint command environment environmentFiles mountPoints volumesFrom linuxParameters secrets dependsOn"
    " startTimeout stopTimeout versionConsistency hostname user workingDirectory disableNetworking privileged"
    " readonlyRootFilesystem dnsServers dnsSearchDomains extraHosts dockerSecurityOptions interactive pseudoTerminal"
    " dockerLabels ulimits logConfiguration healthCheck systemControls resourceRequirements firelensConfiguration"
    " credentialSpecs",
    {
        "essential": True,
        "versionConsistency": "enabled",
        "restartPolicy": {"enabled": False},
        "disableNetworking": False,
        "privileged": False,
        "readonlyRootFilesystem": False,
        "interactive": False,
        "pseudoTerminal": False,
    },
    portMappings=_shape("containerPort hostPort protocol name appProtocol containerPortRange", {"protocol": "tcp"}),
    environment=_KEY_VALUE,
    secrets=_shape("name valueFrom"),
    mountPoints=_MOUNT_POINT,
    volumesFrom=_shape("sourceContainer readOnly", {"readOnly": False}),
    logConfiguration=_shape("logDriver options secretOptions"),
    healthCheck=_shape("command interval timeout retries startPeriod", {"interval": 30, "timeout": 5, "retries": 3}),
)
_VOLUME = _shape(
    "name host dockerVolumeConfiguration efsVolumeConfiguration fsxWindowsFileServerVolumeConfiguration"
    " configuredAtLaunch",
    {"configuredAtLaunch": False},
    efsVolumeConfiguration=_shape(
        "fileSystemId rootDirectory transitEncryption transitEncryptionPort authorizationConfig",
        {"rootDirectory": "/", "transitEncryption": "DISABLED"},
        authorizationConfig=_shape("accessPointId iam", {"iam": "DISABLED"}),
    ),
)
TASK_DEFINITION = _shape(
    "family taskRoleArn executionRoleArn networkMode containerDefinitions volumes placementConstraints"
    " requiresCompatibilities cpu memory pidMode ipcMode proxyConfiguration inferenceAccelerators ephemeralStorage"
    " runtimePlatform enableFaultInjection",
    {"networkMode": "bridge", "enableFaultInjection": False},
    containerDefinitions=_CONTAINER,
    volumes=_VOLUME,
    runtimePlatform=_shape("cpuArchitecture operatingSystemFamily"),
    ephemeralStorage=_shape("sizeInGiB"),
)


def with_defaults(value: Any, shape: Shape | None) -> Any:
    """`value` with AWS's documented default in every member of `shape` it leaves out, at any depth."""
    if shape is None:
        return value
    if isinstance(value, list):
        return [with_defaults(item, shape) for item in value]
    if not isinstance(value, dict):
        return value
    filled = {**shape.defaults, **{key: item for key, item in value.items() if item is not None}}
    return {key: with_defaults(item, shape.nested.get(key)) for key, item in filled.items()}


# Maps whose keys are the user's data, not API members (log driver options, Docker labels): compared whole.
MAPS = {"options", "dockerLabels", "driverOpts", "labels"}


def comparable(current: Any, wanted: Any, shape: Shape | None) -> Any:
    """`current` reduced to what can differ from `wanted`: the members `wanted` sets and the documented ones.

    In a structure without a documented shape a member is compared only when `wanted` sets it; so is a member of
    a documented structure that the reference did not list (a field AWS added later).
    """
    if isinstance(current, list) and isinstance(wanted, list):
        return [comparable(item, wanted[i] if i < len(wanted) else {}, shape) for i, item in enumerate(current)]
    if not (isinstance(current, dict) and isinstance(wanted, dict)):
        return current
    kept = {key: item for key, item in current.items() if key in wanted or (shape and key in shape.members)}
    return {
        key: item if key in MAPS else comparable(item, wanted.get(key), shape.nested.get(key) if shape else None)
        for key, item in kept.items()
    }


def cpu_units(value: Any) -> str | None:
    """'0.25 vCPU' and '256' both as '256', as ECS stores them."""
    if value in (None, ""):
        return None
    match = _UNITS.match(str(value))
    if not match:
        return str(value)
    number, unit = float(match[1]), (match[2] or "").lower()
    return str(int(number * 1024)) if unit == "vcpu" else str(int(number))


def memory_mib(value: Any) -> str | None:
    """'0.5 GB' and '512' both as '512', as ECS stores them."""
    if value in (None, ""):
        return None
    match = _UNITS.match(str(value))
    if not match:
        return str(value)
    number, unit = float(match[1]), (match[2] or "").lower()
    return str(int(number * 1024)) if unit == "gb" else str(int(number))


def by_name(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return sorted(items or [], key=lambda item: str(item.get("name", "")))


def normalize_container(container: dict[str, Any], network_mode: str) -> dict[str, Any]:
    result = dict(container)
    if result.get("cpu") == 0:
        del result["cpu"]
    result["environment"] = by_name(result.get("environment"))
    result["secrets"] = by_name(result.get("secrets"))
    result["ulimits"] = by_name(result.get("ulimits"))
    result["systemControls"] = sorted(result.get("systemControls") or [], key=lambda c: c.get("namespace", ""))
    mappings = []
    for mapping in result.get("portMappings") or []:
        mapping = dict(mapping)
        if network_mode in ("awsvpc", "host") and mapping.get("containerPort") is not None:
            mapping.setdefault("hostPort", mapping["containerPort"])
        elif mapping.get("hostPort") == 0:
            del mapping["hostPort"]
        mappings.append(mapping)
    result["portMappings"] = mappings
    return result


def normalize(definition: dict[str, Any]) -> dict[str, Any]:
    """A RegisterTaskDefinition request or a DescribeTaskDefinition answer in one comparable form."""
    result = {key: value for key, value in definition.items() if key not in OUTPUT_ONLY and key != "tags"}
    result = with_defaults(result, TASK_DEFINITION)
    network_mode = result["networkMode"]
    result["cpu"] = cpu_units(result.get("cpu"))
    result["memory"] = memory_mib(result.get("memory"))
    result["requiresCompatibilities"] = sorted(result.get("requiresCompatibilities") or [])
    result["containerDefinitions"] = [
        normalize_container(container, network_mode) for container in by_name(result.get("containerDefinitions"))
    ]
    result["volumes"] = by_name(result.get("volumes"))
    return drop_empty(result)


def definition_differences(current: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """What differs between a DescribeTaskDefinition answer and a request, as ECS would see it.

    Only what the request sets and the members the API reference documents are compared, each left-out member
    with AWS's documented default: a field AWS adds to its answers later never makes a new revision.
    """
    want = normalize(wanted)
    return differences(comparable(normalize(current), want, TASK_DEFINITION), want)


def registration_request(params: dict[str, Any]) -> dict[str, Any]:
    """The RegisterTaskDefinition request (without tags) the module's options ask for; left-out options left out.

    The container definitions and volumes are given in the API's own form (their keys are not converted: Docker
    labels and log options are data).
    """
    request = snake_dict_to_camel_dict(
        {
            key: params[key]
            for key in (
                "network_mode",
                "task_role_arn",
                "execution_role_arn",
                "cpu",
                "memory",
                "requires_compatibilities",
                "runtime_platform",
            )
        }
    )
    request.update(family=params["family"], containerDefinitions=params["container_definitions"])
    request["volumes"] = params["volumes"]
    if params["ephemeral_storage_gib"]:
        request["ephemeralStorage"] = {"sizeInGiB": params["ephemeral_storage_gib"]}  # not sizeInGib
    return drop_empty(request)


class TaskDefinitionTask:
    def __init__(self, module: AnsibleAWSModule, ecs: Client) -> None:
        self.module = module
        self.ecs = ecs
        self.params = module.params
        self.family: str = self.params["family"]

    def wanted(self) -> dict[str, Any]:
        """The RegisterTaskDefinition request (without tags)."""
        return registration_request(self.params)

    def latest(self) -> Description | None:
        """The latest active revision with its tags as a dict, or None."""
        definition = describe_task_definition(self.ecs, self.family, include_tags=True)
        return definition if definition and definition.get("status") == "ACTIVE" else None

    def arns(self, status: str) -> list[str]:
        return task_definition_arns(self.ecs, self.family, status)

    def next_revision(self) -> int:
        revisions = [int(arn.rsplit(":", 1)[1]) for status in ("ACTIVE", "INACTIVE") for arn in self.arns(status)]
        return max(revisions, default=0) + 1

    def present(self) -> dict[str, Any]:
        if not self.params["container_definitions"]:
            self.module.fail_json(msg="container_definitions is required when state=present")
        wanted = self.wanted()
        current = self.latest()
        wanted_tags = self.params["tags"]
        purge = self.params["purge_tags"]
        before = {**normalize(current), "tags": current["tags"]} if current else {}
        changes = definition_differences(current, wanted) if current else []
        register = current is None or bool(changes)
        changed = register
        definition = current
        if register:
            after = {**normalize(wanted), "tags": dict(wanted_tags or {})}
            if self.module.check_mode:
                revision = self.next_revision()
                family_revision, arn = f"{self.family}:{revision}", ""
            else:
                definition = self.register(wanted, wanted_tags or {})
                revision, arn = definition["revision"], definition["taskDefinitionArn"]
                family_revision = f"{self.family}:{revision}"
        elif current is not None:
            after = {**normalize(current), "tags": predict_tags(current["tags"], wanted_tags, purge)}
            arn, revision = current["taskDefinitionArn"], current["revision"]
            family_revision = f"{self.family}:{revision}"
            if converge_tags(self.module, self.ecs, ECS_TAGS, arn, current["tags"], wanted_tags, purge):
                changed = True
                if not self.module.check_mode:
                    definition = self.latest()

        deregistered: list[str] = []
        if self.params["deregister_old_revisions"]:
            deregistered = [a for a in self.arns("ACTIVE") if a.rsplit(":", 1)[1] != str(revision)]
            if deregistered:
                changed = True
                if not self.module.check_mode:
                    for old in deregistered:
                        self.deregister(old)

        return result(
            self.module,
            changed,
            before,
            after,
            registered=register,
            differences=changes if current else ["family: new"],
            family_revision=family_revision,
            arn=arn,
            revision=revision,
            deregistered=deregistered,
            task_definition=definition or {},
        )

    def absent(self) -> dict[str, Any]:
        current = self.latest()
        active = self.arns("ACTIVE")
        if current and lacks_required_tags(self.module, f"task definition family {self.family}", current["tags"]):
            active = []
        if not self.module.check_mode:
            for arn in active:
                self.deregister(arn)
        return result(
            self.module,
            bool(active),
            {**normalize(current), "tags": current["tags"]} if current else {},
            {},
            registered=False,
            differences=[],
            family_revision="",
            arn="",
            revision=0,
            deregistered=active,
            task_definition={},
        )

    def register(self, request: dict[str, Any], tags: dict[str, str]) -> Description:
        params = {key: value for key, value in request.items() if key != "family"}
        if tags:
            params["tags"] = ecs_tag_list(tags)
        answer = register_task_definition(self.ecs, self.family, params)
        definition = answer["taskDefinition"]
        definition["tags"] = tags_to_dict(answer.get("tags")) or dict(tags)
        return definition

    def deregister(self, arn: str) -> None:
        deregister_task_definition(self.ecs, arn)


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    task = TaskDefinitionTask(module, retrying_client(module, "ecs"))
    try:
        returned = task.present() if module.params["state"] == "present" else task.absent()
    except AnsibleECSError as e:
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
