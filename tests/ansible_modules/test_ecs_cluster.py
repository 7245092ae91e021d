"""dagster_ecs.aws.ecs_cluster run through PlaybookRunner against the emulator, checked with boto3."""

from typing import Any

import boto3

from tests.ansible_modules.playbook import PlaybookRunner, task

# The emulator with every correction, and a runner that refuses write calls in check mode.

MODULE = "dagster_ecs.aws.ecs_cluster"


def spec(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "dagster-ecs-test",
        "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
        "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1, "base": 1}],
        "container_insights": "enabled",
        "tags": {"Project": "dagster-ecs"},
        **overrides,
    }


def test_cluster_is_created_once_and_drift_is_reported_then_repaired(playbook: PlaybookRunner):
    ecs: Any = boto3.client("ecs")
    created, again = playbook.run([task(MODULE, spec()), task(MODULE, spec())])
    assert created["changed"] is True
    assert again["changed"] is False
    [cluster] = ecs.describe_clusters(clusters=["dagster-ecs-test"], include=["SETTINGS", "TAGS"])["clusters"]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["defaultCapacityProviderStrategy"] == [{"capacityProvider": "FARGATE", "weight": 1, "base": 1}]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    assert cluster["tags"] == [{"key": "Project", "value": "dagster-ecs"}]

    ecs.update_cluster_settings(
        cluster="dagster-ecs-test", settings=[{"name": "containerInsights", "value": "disabled"}]
    )
    ecs.put_cluster_capacity_providers(
        cluster="dagster-ecs-test", capacityProviders=["FARGATE"], defaultCapacityProviderStrategy=[]
    )
    [checked] = playbook.run([task(MODULE, spec())], check=True)
    assert checked["changed"] is True
    assert checked["diff"]["before"]["container_insights"] == "disabled"
    assert checked["diff"]["after"]["container_insights"] == "enabled"
    assert checked["diff"]["after"]["capacity_providers"] == ["FARGATE", "FARGATE_SPOT"]

    repaired, settled = playbook.run(
        [task(MODULE, spec(tags={"Project": "x"})), task(MODULE, spec(tags={"Project": "x"}))]
    )
    assert (repaired["changed"], settled["changed"]) == (True, False)
    [cluster] = ecs.describe_clusters(clusters=["dagster-ecs-test"], include=["SETTINGS", "TAGS"])["clusters"]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    assert cluster["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"]
    assert cluster["tags"] == [{"key": "Project", "value": "x"}]

    gone, gone_again = playbook.run(
        [
            task(MODULE, {"name": "dagster-ecs-test", "state": "absent"}),
            task(MODULE, {"name": "dagster-ecs-test", "state": "absent"}),
        ]
    )
    assert (gone["changed"], gone_again["changed"]) == (True, False)
