"""The template DAG: three assets, input → processed → output, and a job that materializes them.

`uv run dagster-ecs new-dag <repo> <name>` starts a new DAG like this one, with its own names throughout.
"""

from typing import Any

from dagster import AssetSelection, MaterializeResult, MetadataValue, asset, define_asset_job

from dagster_ecs import S3PrefixResource, get_repository_resources

# The DAG's name: its assets are keyed repos/<name>/<asset> and its job is <name>_pipeline. Wherever the
# file lives, the platform stores its objects under that directory's prefix, s3://<bucket>/repos/<repo>/.
REPOSITORY_NAME = "template"
KEY_PREFIX = ["repos", REPOSITORY_NAME]


@asset(key_prefix=KEY_PREFIX, group_name=REPOSITORY_NAME)
def template_input_data() -> dict[str, Any]:
    """Load the input records (replace with a read from a database, an API or S3)."""
    return {
        "records": [
            {"id": 1, "value": "data1"},
            {"id": 2, "value": "data2"},
        ]
    }


@asset(key_prefix=KEY_PREFIX, group_name=REPOSITORY_NAME)
def template_processed_data(template_input_data: dict[str, Any]) -> dict[str, Any]:
    """Process the input records (replace with the DAG's logic)."""
    records = template_input_data["records"]
    processed = [{**record, "processed": True, "length": len(record["value"])} for record in records]
    return {"processed_records": processed}


@asset(key_prefix=KEY_PREFIX, group_name=REPOSITORY_NAME)
def template_output_data(s3: S3PrefixResource, template_processed_data: dict[str, Any]) -> MaterializeResult:
    """Save the processed records as JSON in the repository's storage (keys are relative to its prefix)."""
    processed_records = template_processed_data["processed_records"]
    location = s3.put_json(
        f"{REPOSITORY_NAME}/output/processed_data_{len(processed_records)}_records.json", processed_records
    )
    return MaterializeResult(
        metadata={"records_count": len(processed_records), "output_path": MetadataValue.path(location)},
    )


template_pipeline = define_asset_job(
    name=f"{REPOSITORY_NAME}_pipeline",
    selection=AssetSelection.groups(REPOSITORY_NAME),
    description="Materializes the template DAG's assets, input → processed → output.",
)

defs = get_repository_resources(
    repository_name=REPOSITORY_NAME,
    assets=[template_input_data, template_processed_data, template_output_data],
    jobs=[template_pipeline],
)
