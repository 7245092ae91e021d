"""Daily event metrics: a second repository beside `main`, with its own code location and S3 prefix."""

import csv
import io
from collections import Counter
from typing import Any

from dagster import AssetSelection, MaterializeResult, MetadataValue, ScheduleDefinition, asset, define_asset_job

from dagster_ecs import S3PrefixResource, get_repository_resources

REPOSITORY_NAME = "daily_metrics"
KEY_PREFIX = ["repos", REPOSITORY_NAME]


@asset(key_prefix=KEY_PREFIX, group_name=REPOSITORY_NAME)
def daily_metrics_events() -> list[dict[str, Any]]:
    """The day's events (a fixed sample here; a real DAG reads them from its source)."""
    kinds = ["page_view", "page_view", "click", "signup", "page_view", "click"]
    return [{"event_id": n, "kind": kind, "user": f"user-{n % 3}"} for n, kind in enumerate(kinds)]


@asset(key_prefix=KEY_PREFIX, group_name=REPOSITORY_NAME)
def daily_metrics_counts(daily_metrics_events: list[dict[str, Any]]) -> dict[str, int]:
    """Events per kind, plus distinct users."""
    counts = Counter(event["kind"] for event in daily_metrics_events)
    return {**dict(sorted(counts.items())), "distinct_users": len({e["user"] for e in daily_metrics_events})}


@asset(key_prefix=KEY_PREFIX, group_name=REPOSITORY_NAME)
def daily_metrics_report(s3: S3PrefixResource, daily_metrics_counts: dict[str, int]) -> MaterializeResult:
    """The counts as a CSV report in the repository's storage."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["metric", "value"])
    writer.writerows(daily_metrics_counts.items())
    location = s3.put_bytes(f"{REPOSITORY_NAME}/reports/daily_metrics.csv", buffer.getvalue().encode(), "text/csv")
    return MaterializeResult(metadata={"rows": len(daily_metrics_counts), "report": MetadataValue.path(location)})


daily_metrics_pipeline = define_asset_job(
    name=f"{REPOSITORY_NAME}_pipeline",
    selection=AssetSelection.groups(REPOSITORY_NAME),
)

daily_metrics_schedule = ScheduleDefinition(
    job=daily_metrics_pipeline,
    cron_schedule="0 6 * * *",
    execution_timezone="Australia/Sydney",
)

defs = get_repository_resources(
    repository_name=REPOSITORY_NAME,
    assets=[daily_metrics_events, daily_metrics_counts, daily_metrics_report],
    jobs=[daily_metrics_pipeline],
    schedules=[daily_metrics_schedule],
)
