"""CloudWatch Logs: AssociateKmsKey and DisassociateKmsKey, missing in moto 5.2.5 (the server answers 500).

AWS associates the KMS key with a log group (DescribeLogGroups then reports it as kmsKeyId) or removes the
association; both answer an empty body, and ResourceNotFoundException for an unknown log group.
"""

from moto.logs.exceptions import ResourceNotFoundException
from moto.logs.models import LogGroup, LogsBackend
from moto.logs.responses import LogsResponse


def _log_group(backend: LogsBackend, name: str) -> LogGroup:
    if name not in backend.groups:
        raise ResourceNotFoundException()
    return backend.groups[name]


def associate_kms_key(self: LogsResponse) -> str:
    _log_group(self.logs_backend, self._get_param("logGroupName")).kms_key_id = self._get_param("kmsKeyId")
    return ""


def disassociate_kms_key(self: LogsResponse) -> str:
    _log_group(self.logs_backend, self._get_param("logGroupName")).kms_key_id = None
    return ""


def apply() -> None:
    LogsResponse.associate_kms_key = associate_kms_key  # ty: ignore[missing-attribute]
    LogsResponse.disassociate_kms_key = disassociate_kms_key  # ty: ignore[missing-attribute]
