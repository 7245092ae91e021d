def test_the_seed_import_path_still_works() -> None:
    from dags.main.resources import get_repository_resources as seed
    from dagster_ecs import get_repository_resources

    assert seed is get_repository_resources
