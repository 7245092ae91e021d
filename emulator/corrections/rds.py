"""RDS: gp3 baseline performance, Performance Insights settings and engine-default DB parameters, as AWS reports them.

1. A gp3 DB instance always has a provisioned IOPS and throughput. Given none, AWS applies the baseline
   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html#gp3-storage): 3,000 IOPS and
   125 MiB/s, or 12,000 IOPS and 500 MiB/s from 400 GiB (PostgreSQL, MySQL, MariaDB, Db2; 200 GiB for Oracle;
   SQL Server always gets the lower baseline), and DescribeDBInstances returns `Iops` and `StorageThroughput`.
   moto returns neither, so amazon.aws.rds_instance fails with KeyError on the second run.
2. DescribeDBInstances always returns `PerformanceInsightsEnabled`, and while it is on, the retention period
   (default 7 days) and the KMS key (default: the account's `aws/rds` key). moto drops all three, so an
   instance with Performance Insights on would be modified on every run.
3. DescribeDBParameters lists every parameter of the group's family, each with its data type, allowed values
   and whether it is modifiable, whether or not it was changed. moto lists only the parameters changed with
   ModifyDBParameterGroup, and only the keys the caller sent; amazon.aws.rds_instance_param_group then reports
   "not an available parameter" and never sets them. The correction lists the engine defaults of a curated set
   of PostgreSQL parameters (ENGINE_DEFAULTS) for the `postgresNN` families; a modified parameter keeps its
   metadata and gets `Source: user`. Parameters outside the set still behave as moto does.
4. DescribeDBParameterGroups for a group name that does not exist fails with DBParameterGroupNotFound; moto
   answers an empty list, and amazon.aws.rds_instance_param_group then fails with IndexError instead of
   creating the group.
5. A master password RDS manages (ManageMasterUserPassword, RDS User Guide "Password management with Amazon RDS
   and AWS Secrets Manager") is one RDS generates, kept as {"username": <the master user>, "password": ...} in a
   secret `rds!db-<uuid>` whose rotation RDS turns on, every seven days by default. moto stores
   {"username": "admin", "password": "P@55w0rd!"} for every instance, with rotation off.
6. RotateMasterUserPassword makes a new version of that secret with a new password (28 characters, at least one
   upper and lower case letter, digit and punctuation). moto's rotation without a Lambda function leaves a
   version without a value: GetSecretValue then fails.
7. ModifyDBInstance refuses what the API reference rules out: ManageMasterUserPassword with MasterUserPassword,
   turning management off without a new MasterUserPassword, MasterUserPassword while RDS manages it,
   MasterUserSecretKmsKeyId unless management is being turned on (the key of a managed secret cannot change),
   RotateMasterUserPassword while RDS does not manage the password. moto accepts each (the last one with a 500).
8. An instance with Enhanced Monitoring on (MonitoringInterval > 0) reports `EnhancedMonitoringResourceArn`, the
   CloudWatch Logs stream its OS metrics go to: `arn:aws:logs:<region>:<account>:log-group:RDSOSMetrics:
   log-stream:<DbiResourceId>` (RDS User Guide, "Viewing OS metrics using CloudWatch Logs"). moto returns none,
   so a scanner (Prowler's rds_instance_enhanced_monitoring_enabled) sees monitoring off.
"""

import copy
import json
import re
import secrets
import string
import time
from typing import Any

from moto.rds.exceptions import DBParameterGroupNotFoundError, InvalidParameterCombination
from moto.rds.models import DBInstance, DBParameterGroup, MasterUserSecret, RDSBackend
from moto.secretsmanager.models import FakeSecret

# Baseline (IOPS, MiB/s) of gp3 storage below and from the engine's threshold in GiB (None: no threshold).
GP3_LOW = (3000, 125)
GP3_HIGH = (12000, 500)
GP3_THRESHOLD_GIB = {"oracle": 200, "sqlserver": None}
GP3_DEFAULT_THRESHOLD_GIB = 400

PERFORMANCE_INSIGHTS_DEFAULT_RETENTION_DAYS = 7

_POSTGRES_FAMILY = re.compile(r"^postgres(\d+)$")

# RDS-managed master passwords: rotated every 7 days unless the schedule is changed; a rotated password has 28
# characters with at least one upper and lower case letter, digit and punctuation (printable ASCII but "/", '"'
# and "@", which no master password may hold).
MANAGED_ROTATION_DAYS = 7
MANAGED_PASSWORD_LENGTH = 28
MANAGED_PASSWORD_CLASSES = (
    string.ascii_uppercase,
    string.ascii_lowercase,
    string.digits,
    "".join(c for c in string.punctuation if c not in '/"@'),
)


def _parameter(name: str, data_type: str, allowed: str, description: str, value: str | None = None) -> dict[str, Any]:
    parameter = {
        "ParameterName": name,
        "Description": description,
        "Source": "engine-default",
        "ApplyType": "dynamic",
        "DataType": data_type,
        "AllowedValues": allowed,
        "IsModifiable": True,
        "ApplyMethod": "pending-reboot",
    }
    if value is not None:
        parameter["ParameterValue"] = value
    return parameter


def engine_defaults(family: str | None) -> dict[str, dict[str, Any]]:
    """The curated engine-default parameters of a DB parameter group family ({} for families not covered)."""
    match = _POSTGRES_FAMILY.match(family or "")
    if not match:
        return {}
    major = int(match.group(1))
    parameters = [
        # rds.force_ssl defaults to 1 from PostgreSQL 15 on, 0 before (RDS User Guide, "Requiring an SSL connection").
        _parameter("rds.force_ssl", "boolean", "0,1", "Force SSL connections.", "1" if major >= 15 else "0"),
        _parameter("log_connections", "boolean", "0,1", "Logs each successful connection."),
        _parameter("log_disconnections", "boolean", "0,1", "Logs end of a session, including duration."),
        _parameter(
            "log_min_duration_statement",
            "integer",
            "-1-2147483647",
            "Sets the minimum execution time above which statements will be logged.",
        ),
        _parameter(
            "idle_in_transaction_session_timeout",
            "integer",
            "0-2147483647",
            "Sets the maximum allowed duration of any idling transaction.",
        ),
        _parameter(
            "statement_timeout", "integer", "0-2147483647", "Sets the maximum allowed duration of any statement."
        ),
    ]
    return {parameter["ParameterName"]: parameter for parameter in parameters}


def _gp3_baseline(engine: str | None, allocated_storage: int | None) -> tuple[int, int]:
    family = next((key for key in GP3_THRESHOLD_GIB if (engine or "").startswith(key)), None)
    threshold = GP3_THRESHOLD_GIB[family] if family else GP3_DEFAULT_THRESHOLD_GIB
    if threshold is None or int(allocated_storage or 0) < threshold:
        return GP3_LOW
    return GP3_HIGH


def _settle_storage(instance: Any, *, explicit_iops: bool, explicit_throughput: bool) -> None:
    """Give a gp3 instance the baseline IOPS/throughput where none was chosen; remember which were chosen."""
    if getattr(instance, "storage_type", None) != "gp3":
        return
    baseline_iops, baseline_throughput = _gp3_baseline(instance.engine, instance.allocated_storage)
    if explicit_iops:
        instance._dagster_ecs_baseline_iops = False
    if explicit_throughput:
        instance._dagster_ecs_baseline_throughput = False
    if instance.iops is None or getattr(instance, "_dagster_ecs_baseline_iops", False):
        instance.iops = baseline_iops
        instance._dagster_ecs_baseline_iops = True
    if instance.storage_throughput is None or getattr(instance, "_dagster_ecs_baseline_throughput", False):
        instance.storage_throughput = baseline_throughput
        instance._dagster_ecs_baseline_throughput = True


def _apply_performance_insights(instance: Any, settings: dict[str, Any]) -> None:
    if settings.get("enable_performance_insights") is not None:
        instance._dagster_ecs_pi_enabled = bool(settings["enable_performance_insights"])
    if settings.get("performance_insights_retention_period") is not None:
        instance._dagster_ecs_pi_retention = int(settings["performance_insights_retention_period"])
    if settings.get("performance_insights_kms_key_id"):
        instance._dagster_ecs_pi_kms_key_id = settings["performance_insights_kms_key_id"]


def _performance_insights_enabled(self: Any) -> bool:
    return bool(getattr(self, "_dagster_ecs_pi_enabled", False))


def _performance_insights_retention_period(self: Any) -> int | None:
    if not _performance_insights_enabled(self):
        return None
    return getattr(self, "_dagster_ecs_pi_retention", None) or PERFORMANCE_INSIGHTS_DEFAULT_RETENTION_DAYS


def _performance_insights_kms_key_id(self: Any) -> str | None:
    if not _performance_insights_enabled(self):
        return None
    default_key = f"arn:aws:kms:{self.region}:{self.account_id}:key/aws-rds-default"
    return getattr(self, "_dagster_ecs_pi_kms_key_id", None) or default_key


def _enhanced_monitoring_resource_arn(self: Any) -> str | None:
    if not self.monitoring_interval:
        return None
    return f"arn:aws:logs:{self.region}:{self.account_id}:log-group:RDSOSMetrics:log-stream:{self.dbi_resource_id}"


def _patch_db_instance() -> None:
    original_init = DBInstance.__init__
    original_update = DBInstance.update

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        if self.db_cluster_identifier is None:
            _settle_storage(
                self,
                explicit_iops=kwargs.get("iops") is not None,
                explicit_throughput=kwargs.get("storage_throughput") is not None,
            )
        _apply_performance_insights(self, kwargs)

    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        pi_settings = {
            key: kwargs.pop(key, None)
            for key in (
                "enable_performance_insights",
                "performance_insights_retention_period",
                "performance_insights_kms_key_id",
            )
        }
        original_update(self, *args, **kwargs)
        if self.db_cluster_identifier is None:
            _settle_storage(
                self,
                explicit_iops=kwargs.get("iops") is not None,
                explicit_throughput=kwargs.get("storage_throughput") is not None,
            )
        _apply_performance_insights(self, pi_settings)

    DBInstance.__init__ = __init__  # type: ignore[method-assign]
    DBInstance.update = update  # type: ignore[method-assign]
    # moto serializes DescribeDBInstances from attributes named after the response members.
    setattr(DBInstance, "performance_insights_enabled", property(_performance_insights_enabled))  # noqa: B010
    setattr(DBInstance, "performance_insights_retention_period", property(_performance_insights_retention_period))  # noqa: B010
    setattr(DBInstance, "performance_insights_kms_key_id", property(_performance_insights_kms_key_id))  # noqa: B010
    setattr(DBInstance, "enhanced_monitoring_resource_arn", property(_enhanced_monitoring_resource_arn))  # noqa: B010


def _patch_parameter_groups() -> None:
    original_init = DBParameterGroup.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for name, parameter in engine_defaults(self.family).items():
            self.parameters[name] = copy.deepcopy(parameter)

    def update_parameters(self: Any, new_parameters: Any) -> None:
        for new_parameter in new_parameters:
            parameter = self.parameters[new_parameter["ParameterName"]]
            parameter.update(new_parameter)
            parameter["Source"] = "user"

    DBParameterGroup.__init__ = __init__  # type: ignore[method-assign]
    DBParameterGroup.update_parameters = update_parameters  # type: ignore[method-assign]

    original_describe = RDSBackend.describe_db_parameter_groups

    def describe_db_parameter_groups(self: Any, db_parameter_group_kwargs: dict[str, Any]) -> Any:
        groups = original_describe(self, db_parameter_group_kwargs)
        name = db_parameter_group_kwargs.get("db_parameter_group_name")
        if name and not groups:
            raise DBParameterGroupNotFoundError(name)
        return groups

    RDSBackend.describe_db_parameter_groups = describe_db_parameter_groups  # type: ignore[method-assign]


def managed_password() -> str:
    """A password in the form RDS generates for the secrets it manages."""
    rng = secrets.SystemRandom()
    characters = [rng.choice(chars) for chars in MANAGED_PASSWORD_CLASSES]
    alphabet = "".join(MANAGED_PASSWORD_CLASSES)
    characters += [rng.choice(alphabet) for _ in range(MANAGED_PASSWORD_LENGTH - len(characters))]
    rng.shuffle(characters)
    return "".join(characters)


def _managed_secret_value(self: Any) -> str:
    return json.dumps({"username": self.resource.master_username, "password": managed_password()})


def _schedule_rotation(secret: Any, rotated: bool) -> None:
    """The secret's rotation as RDS keeps it: on, every MANAGED_ROTATION_DAYS days, without a Lambda function."""
    now = int(time.time())
    secret.rotation_requested = True
    secret.rotation_enabled = True
    secret.rotation_lambda_arn = ""
    secret.auto_rotate_after_days = secret.auto_rotate_after_days or MANAGED_ROTATION_DAYS
    secret.next_rotation_date = now + secret.auto_rotate_after_days * 86400
    if rotated:
        secret.last_rotation_date = now


def _patch_master_user_secret() -> None:
    original_init = MasterUserSecret.__init__

    def __init__(self: Any, resource: Any, kms_key_id: str | None) -> None:
        original_init(self, resource, kms_key_id)
        _schedule_rotation(self.secret, rotated=False)

    def rotate_secret(self: Any) -> None:
        self._status = "rotating"
        current = self.secret.versions[self.secret.default_version_id].get("secret_string") or "{}"
        username = json.loads(current).get("username", self.resource.master_username)
        value = {"username": username, "password": managed_password()}
        self.secretsmanager.put_secret_value(
            secret_id=self.secret.arn,
            secret_string=json.dumps(value),
            secret_binary=None,
            client_request_token=None,
            version_stages=["AWSCURRENT"],
        )
        _schedule_rotation(self.secret, rotated=True)

    MasterUserSecret.__init__ = __init__  # type: ignore[method-assign]
    MasterUserSecret._generate_secret_string = _managed_secret_value  # type: ignore[method-assign]
    MasterUserSecret.rotate_secret = rotate_secret  # type: ignore[method-assign]

    original_to_dict = FakeSecret.to_dict

    def to_dict(self: Any) -> dict[str, Any]:
        described = original_to_dict(self)
        if self.owning_service and not self.rotation_lambda_arn:
            described.pop("RotationLambdaARN", None)  # managed rotation: no Lambda function to name
        return described

    FakeSecret.to_dict = to_dict  # type: ignore[method-assign]


def _check_master_password_request(database: Any, db_kwargs: Any) -> None:
    """The ModifyDBInstance constraints of ManageMasterUserPassword, MasterUserPassword, MasterUserSecretKmsKeyId
    and RotateMasterUserPassword (API reference)."""
    managed = hasattr(database, "master_user_secret")
    manage = db_kwargs.get("manage_master_user_password")
    password = db_kwargs.get("master_user_password")
    if manage is True and password:
        raise InvalidParameterCombination(
            "You can't specify MasterUserPassword when ManageMasterUserPassword is turned on."
        )
    if manage is False and managed and not password:
        raise InvalidParameterCombination(
            "You must specify MasterUserPassword when you turn off ManageMasterUserPassword."
        )
    if manage is None and managed and password:
        raise InvalidParameterCombination(
            "You can't specify MasterUserPassword: the master user password is managed by RDS in Secrets Manager."
        )
    if db_kwargs.get("master_user_secret_kms_key_id") and not (manage is True and not managed):
        raise InvalidParameterCombination(
            "MasterUserSecretKmsKeyId is valid only when you turn on ManageMasterUserPassword; the KMS key of a "
            "secret RDS already manages can't be changed."
        )
    if db_kwargs.get("rotate_master_user_password") and not managed:
        raise InvalidParameterCombination(
            "RotateMasterUserPassword is valid only if the master user password is managed by RDS in Secrets Manager."
        )


def _patch_modify_db_instance() -> None:
    original_modify = RDSBackend.modify_db_instance

    def modify_db_instance(self: Any, db_instance_identifier: str, db_kwargs: Any) -> Any:
        _check_master_password_request(self.describe_db_instances(db_instance_identifier)[0], db_kwargs)
        return original_modify(self, db_instance_identifier, db_kwargs)

    RDSBackend.modify_db_instance = modify_db_instance  # type: ignore[method-assign]


def apply() -> None:
    _patch_db_instance()
    _patch_parameter_groups()
    _patch_master_user_secret()
    _patch_modify_db_instance()
