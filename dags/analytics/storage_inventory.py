"""A second DAG file in the analytics repository: its definitions merge into the same code location."""

from dagster import AssetSelection, MaterializeResult, asset, define_asset_job

from dagster_ecs import S3PrefixResource, get_repository_resources

REPOSITORY_NAME = "storage_inventory"


@asset(key_prefix=["repos", REPOSITORY_NAME], group_name=REPOSITORY_NAME)
def storage_inventory_objects(s3: S3PrefixResource) -> MaterializeResult:
    """Counts the objects this repository keeps: listings never see another repository's prefix."""
    keys = s3.list_keys()
    s3.put_json(f"{REPOSITORY_NAME}/latest.json", {"object_count": len(keys), "keys": keys})
    return MaterializeResult(metadata={"object_count": len(keys), "prefix": s3.prefix})


storage_inventory_pipeline = define_asset_job(
    name=f"{REPOSITORY_NAME}_pipeline",
    selection=AssetSelection.groups(REPOSITORY_NAME),
)

defs = get_repository_resources(
    repository_name=REPOSITORY_NAME,
    assets=[storage_inventory_objects],
    jobs=[storage_inventory_pipeline],
)
