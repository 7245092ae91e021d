"""Corrections that make moto answer as AWS documents. Each module has an `apply()`; all are applied at start.

Add a module per service, list it in CORRECTIONS, and describe the deviation in docs/moto-deviations.md.
"""

import importlib

CORRECTIONS: list[str] = [
    "rds",
    "ecs",
    "servicediscovery",
    "ec2",
    "s3",
    "logs",
    "elbv2",
    "efs",
    "ecs_tasks",
    "ec2_flow_logs",
    "kms",
]


def apply_all() -> list[str]:
    """Apply every correction; returns their module names."""
    for name in CORRECTIONS:
        importlib.import_module(f"emulator.corrections.{name}").apply()
    return list(CORRECTIONS)
