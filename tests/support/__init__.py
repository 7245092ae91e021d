"""Real services the tests run against: moto server, PostgreSQL, Dagster processes."""
