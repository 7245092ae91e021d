"""KMS: the AWS managed keys a service creates on first use are AWS managed, and rotate every year.

A service that encrypts with its default key (`alias/aws/secretsmanager`, `alias/aws/rds`, ...) uses an AWS
managed key: DescribeKey reports `KeyManager: AWS`, and AWS rotates it automatically every year, so
GetKeyRotationStatus answers `KeyRotationEnabled: true` (KMS Developer Guide, "AWS managed keys" and "Rotating
AWS KMS keys"). moto creates these keys on demand as customer managed keys with rotation off, so a scanner
(Prowler's kms_cmk_rotation_enabled) reports a customer key without rotation that nobody created.
"""

from typing import Any

from moto.kms.models import KmsBackend


def _patch_default_keys() -> None:
    original = KmsBackend._generate_default_keys

    def _generate_default_keys(self: Any, alias_name: str) -> str | None:
        key_id = original(self, alias_name)
        if key_id is not None:
            key = self.keys[key_id]
            key.key_manager = "AWS"
            key.key_rotation_status = True
        return key_id

    KmsBackend._generate_default_keys = _generate_default_keys  # type: ignore[method-assign]


def apply() -> None:
    _patch_default_keys()
