#!/usr/bin/python

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_instance_master_password
short_description: Have RDS manage the master user password of an RDS DB instance in AWS Secrets Manager
version_added: 0.1.0
description:
  - Turns RDS management of the master user password of an existing DB instance on or off (C(ModifyDBInstance)
    C(ManageMasterUserPassword)). amazon.aws.rds_instance has no option for it.
  - While it is on, RDS has generated the password and keeps it in a Secrets Manager secret of its own, named
    C(rds!db-<uuid>), as JSON C({"username", "password"}); RDS rotates it (every seven days unless the secret's
    schedule is changed) and deletes the secret with the instance.
  - Turning it on needs no password (RDS replaces the current one). Turning it off needs a new
    O(master_user_password), and RDS deletes its secret.
  - RDS applies either change at once, whatever ApplyImmediately says; the module does not send ApplyImmediately
    for it, so modifications pending for the maintenance window stay pending.
  - AWS cannot change the KMS key of a secret RDS already manages. A different O(kms_key_id) fails the task.
  - Fails when the instance does not exist.
  - Supports check mode (no write call is made) and diff mode.
author: dagster-ecs maintainers
options:
  db_instance_identifier:
    description:
      - Identifier of the DB instance.
    type: str
    required: true
  state:
    description:
      - V(present) turns RDS management of the master user password on; V(absent) turns it off.
    type: str
    choices: [present, absent]
    default: present
  kms_key_id:
    description:
      - KMS key (key ARN, key ID, alias ARN or alias name) RDS encrypts its secret with when the module turns
        management on (C(MasterUserSecretKmsKeyId)). The account's C(aws/secretsmanager) key when not given.
      - When management is on already, the secret's key is compared (an alias is resolved with
        C(kms:DescribeKey)); a different key fails the task. Not given, the secret's key is left as it is.
    type: str
  master_user_password:
    description:
      - The new master user password, needed with O(state=absent) when RDS manages the password. Ignored
        otherwise, as the module manages who keeps the password and does not set one.
    type: str
  rotate:
    description:
      - With O(state=present), rotate the password now (C(RotateMasterUserPassword), applied immediately as AWS
        requires). Every run with it set rotates, so set it for one run only. Not done in a run that turns
        management on, as RDS has just generated a password then.
    type: bool
    default: false
  wait:
    description:
      - Wait for the instance to be available (before a change, and after it) and, with management on, for its
        secret to be active.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true).
    type: int
    default: 1200
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Hand the master password of the Dagster database to RDS
  dagster_ecs.aws.rds_instance_master_password:
    db_instance_identifier: dagster-ecs-prod
    kms_key_id: arn:aws:kms:ap-southeast-2:123456789012:key/0987dcba-09fe-87dc-65ba-ab0987654321
  register: master_password

- name: The secret the one-off db-setup task reads
  ansible.builtin.debug:
    msg: "{{ master_password.master_user_secret.secret_arn }}"

- name: Rotate the master password now
  dagster_ecs.aws.rds_instance_master_password:
    db_instance_identifier: dagster-ecs-prod
    rotate: true

- name: Take the master password back from RDS (it deletes its secret)
  dagster_ecs.aws.rds_instance_master_password:
    db_instance_identifier: dagster-ecs-prod
    state: absent
    master_user_password: "{{ new_master_password }}"
  no_log: true
"""

RETURN = r"""
master_user_secret:
  description:
    - The secret RDS keeps the master user password in (C(MasterUserSecret) of C(DescribeDBInstances)); empty
      while RDS does not manage the password (in check mode, also when the module would turn management on).
  returned: always
  type: dict
  contains:
    secret_arn:
      description: ARN of the secret.
      type: str
      sample: >-
        arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:rds!db-033d7456-2c96-450d-9d48-f5de3025e51c-xmJRDx
    secret_status:
      description: C(creating), C(active), C(rotating) or C(impaired).
      type: str
      sample: active
    kms_key_id:
      description: ARN of the KMS key encrypting the secret.
      type: str
rotated:
  description: Whether the password was (or, in check mode, would be) rotated.
  returned: always
  type: bool
"""

import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.dagster_ecs.aws.plugins.module_utils.common import Client, Description, result, retrying_client
from ansible_collections.dagster_ecs.aws.plugins.module_utils.kms import key_arn
from ansible_collections.dagster_ecs.aws.plugins.module_utils.rds import describe_db_instance, modify_db_instance

ARGUMENT_SPEC: dict[str, Any] = {
    "db_instance_identifier": {"required": True},
    "state": {"choices": ["present", "absent"], "default": "present"},
    "kms_key_id": {},
    "master_user_password": {"no_log": True},
    "rotate": {"type": "bool", "default": False},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 1200},
}

# Seconds between two polls while waiting.
POLL_INTERVAL = 10


def master_user_secret(instance: Description) -> dict[str, Any]:
    """The instance's MasterUserSecret in snake_case; {} when RDS does not manage its master password."""
    secret = instance.get("MasterUserSecret") or {}
    if not secret.get("SecretArn"):
        return {}
    return {
        "secret_arn": secret["SecretArn"],
        "secret_status": secret.get("SecretStatus"),
        "kms_key_id": secret.get("KmsKeyId"),
    }


def summarize(instance: Description) -> dict[str, Any]:
    """What the module manages, as compared between runs and shown in the diff."""
    secret = master_user_secret(instance)
    return {"manage_master_user_password": bool(secret), "kms_key_id": secret.get("kms_key_id")}


class MasterPasswordTask:
    def __init__(self, module: AnsibleAWSModule, client: Client) -> None:
        self.module = module
        self.client = client
        self.params = module.params
        self.identifier: str = module.params["db_instance_identifier"]

    def instance(self) -> Description:
        instance = describe_db_instance(self.client, self.identifier)
        if instance is None:
            self.module.fail_json(
                msg=f"The RDS DB instance {self.identifier!r} does not exist: create it first (e.g. with "
                "amazon.aws.rds_instance), then hand its master user password to RDS."
            )
        return instance

    def check_key(self, current: dict[str, Any]) -> None:
        """Fail when kms_key_id names another key than the one encrypting the managed secret."""
        wanted = self.params["kms_key_id"]
        if not wanted or wanted == current["kms_key_id"]:
            return
        if key_arn(retrying_client(self.module, "kms"), wanted) == current["kms_key_id"]:
            return
        self.module.fail_json(
            msg=f"The master user secret of {self.identifier} ({current['secret_arn']}) is encrypted with "
            f"{current['kms_key_id']}, not {wanted}. AWS cannot change the KMS key of a secret RDS manages: keep "
            "that key, or turn management off (state=absent with a new master_user_password) and on again with "
            "the new kms_key_id (RDS then creates a new secret, with a new ARN).",
            master_user_secret=current,
        )

    def wait_until(self, what: str, ready: Any) -> Description:
        """Poll DescribeDBInstances until ready(instance) is true; the last description."""
        deadline = time.monotonic() + self.params["wait_timeout"]
        while True:
            instance = self.instance()
            if ready(instance):
                return instance
            secret = master_user_secret(instance)
            if secret.get("secret_status") == "impaired":
                self.module.fail_json(
                    msg=f"The master user secret of {self.identifier} is impaired: RDS can no longer use the secret "
                    "or its KMS key (check the key's policy and grants), then turn management off and on again.",
                    master_user_secret=secret,
                )
            if time.monotonic() >= deadline:
                self.module.fail_json(
                    msg=f"Timed out after {self.params['wait_timeout']}s waiting for the RDS DB instance "
                    f"{self.identifier} {what}; it is {instance.get('DBInstanceStatus')}, its master user secret "
                    f"{secret.get('secret_status', 'absent')}",
                    master_user_secret=secret,
                )
            time.sleep(POLL_INTERVAL)

    def settled(self, managed: bool | None) -> Any:
        """A test for wait_until: the instance available and, if managed is not None, management as asked with
        the secret active."""

        def ready(instance: Description) -> bool:
            if instance.get("DBInstanceStatus") != "available":
                return False
            if managed is None:
                return True
            secret = master_user_secret(instance)
            return bool(secret) == managed and (not managed or secret.get("secret_status") == "active")

        return ready

    def run(self) -> dict[str, Any]:
        instance = self.instance()
        before = summarize(instance)
        current = master_user_secret(instance)
        present = self.params["state"] == "present"
        after = dict(before)
        rotate = False
        request: dict[str, Any] = {}
        if present and not current:
            after = {"manage_master_user_password": True, "kms_key_id": self.params["kms_key_id"]}
            request = {"ManageMasterUserPassword": True}
            if self.params["kms_key_id"]:
                request["MasterUserSecretKmsKeyId"] = self.params["kms_key_id"]
        elif present:
            self.check_key(current)
            rotate = self.params["rotate"]
        elif current:
            if not self.params["master_user_password"]:
                self.module.fail_json(
                    msg=f"RDS manages the master user password of {self.identifier}: turning that off needs the new "
                    "password in master_user_password (RDS deletes its secret)."
                )
            after = {"manage_master_user_password": False, "kms_key_id": None}
            request = {"ManageMasterUserPassword": False, "MasterUserPassword": self.params["master_user_password"]}
        changed = bool(request) or rotate
        if rotate:
            after["rotated"] = True

        if changed and not self.module.check_mode:
            if self.params["wait"]:
                self.wait_until("to be available", self.settled(True if rotate else None))
            if request:
                modify_db_instance(self.client, self.identifier, "change the master user password management", request)
            if rotate:
                modify_db_instance(
                    self.client,
                    self.identifier,
                    "rotate the master user password",
                    {"RotateMasterUserPassword": True, "ApplyImmediately": True},
                )
            managed = present
            if self.params["wait"]:
                instance = self.wait_until(
                    "to be available with its master user secret active" if managed else "to be available",
                    self.settled(managed),
                )
            else:
                instance = self.instance()
            after = {**summarize(instance), **({"rotated": True} if rotate else {})}
        return result(
            self.module, changed, before, after, rotated=rotate, master_user_secret=master_user_secret(instance)
        )


def main() -> None:
    module = AnsibleAWSModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    if module.params["rotate"] and module.params["state"] == "absent":
        module.fail_json(msg="rotate=true needs state=present: only a password RDS manages can be rotated by RDS")
    task = MasterPasswordTask(module, retrying_client(module, "rds"))
    try:
        returned = task.run()
    except AnsibleAWSError as e:  # RDS's or KMS's
        module.fail_json_aws_error(e)
    module.exit_json(**returned)


if __name__ == "__main__":
    main()
