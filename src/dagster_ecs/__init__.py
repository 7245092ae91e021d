"""dagster-ecs: the shared DAG platform every repository imports from the image."""
