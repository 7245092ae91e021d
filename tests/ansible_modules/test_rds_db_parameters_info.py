"""dagster_ecs.aws.rds_db_parameters_info run through PlaybookRunner against the emulator."""

from typing import Any

import boto3
import pytest

from tests.ansible_modules.playbook import PlaybookRunner
from tests.support.moto_server import MotoServer

GROUP = "dagster-ecs-test-postgres16"


@pytest.fixture
def rds(aws: MotoServer) -> Any:
    return boto3.client("rds")


def test_reads_the_values_of_the_named_parameters(playbook: PlaybookRunner, rds: Any) -> None:
    rds.create_db_parameter_group(DBParameterGroupName=GROUP, DBParameterGroupFamily="postgres16", Description="t")
    rds.modify_db_parameter_group(
        DBParameterGroupName=GROUP,
        Parameters=[{"ParameterName": "rds.force_ssl", "ParameterValue": "1", "ApplyMethod": "immediate"}],
    )
    result = playbook.module(
        "dagster_ecs.aws.rds_db_parameters_info", check=True, db_parameter_group_name=GROUP, names=["rds.force_ssl"]
    )
    assert result["changed"] is False
    assert result["exists"] is True
    assert result["parameters"] == {"rds.force_ssl": "1"}


def test_a_missing_group_does_not_exist(playbook: PlaybookRunner) -> None:
    result = playbook.module("dagster_ecs.aws.rds_db_parameters_info", db_parameter_group_name=GROUP)
    assert result["exists"] is False
    assert result["parameters"] == {}
