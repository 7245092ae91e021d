"""End-to-end tests: PostgreSQL and real Dagster processes."""
