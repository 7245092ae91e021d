"""Deploy the whole stack to a fresh emulator twice per Ansible strategy; report wall time and AWS API calls by
action, the strategies side by side.

    uv run python -m benchmarks.deploy [--runs 2] [--strategies "linear,dagster_ecs.aws.mitogen_linear"] [OPTIONS]

Each strategy may carry environment settings after a space, e.g. "dagster_ecs.aws.mitogen_linear
DAGSTER_ECS_TEMPLATE_CACHE=false" (the default list measures mitogen_linear with and without its template cache).

Options the script does not know go to ansible-playbook (e.g. --tags efs). Every run after the first must make
zero write calls (it is idempotent); the script exits 1 if one does not.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from emulator import control
from emulator.calls import Call, read_calls

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class RunResult:
    seconds: float
    calls: list[Call]

    @property
    def writes(self) -> list[Call]:
        return [c for c in self.calls if c.write]

    @property
    def reads(self) -> list[Call]:
        return [c for c in self.calls if not c.write]


# Ansible's own, and the project's default (ansible.cfg) without and with the template cache of its workers.
STRATEGIES = "linear,dagster_ecs.aws.mitogen_linear DAGSTER_ECS_TEMPLATE_CACHE=false,dagster_ecs.aws.mitogen_linear"


def deploy(env: dict[str, str], call_log: Path, extra: list[str]) -> RunResult:
    before = len(read_calls(call_log))
    started = time.monotonic()
    command = ["ansible-playbook", "site.yml", "-i", "inventory/local", *extra]
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-5000:] + result.stderr[-3000:])
        raise SystemExit(f"ansible-playbook failed with exit code {result.returncode}")
    return RunResult(seconds, read_calls(call_log)[before:])


def table(names: list[str], results: list[RunResult]) -> str:
    lines = [
        "| | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(results),
        "| wall time (s) | " + " | ".join(f"{r.seconds:.1f}" for r in results) + " |",
        "| read calls | " + " | ".join(str(len(r.reads)) for r in results) + " |",
        "| write calls | " + " | ".join(str(len(r.writes)) for r in results) + " |",
    ]
    actions = Counter[tuple[str, str, bool]]()
    per_run = [Counter((c.service, c.action, c.write) for c in r.calls) for r in results]
    for counts in per_run:
        actions.update(counts)
    lines += ["", "| service | action | kind | " + " | ".join(names) + " |", "|---|---|---|" + "---|" * len(results)]
    for service, action, write in sorted(actions, key=lambda k: (not k[2], k[0], k[1])):
        counts = " | ".join(str(c[(service, action, write)]) for c in per_run)
        lines.append(f"| {service} | {action} | {'write' if write else 'read'} | {counts} |")
    return "\n".join(lines)


def runs(strategy: str, count: int, extra: list[str]) -> list[RunResult]:
    """`count` deploys of the whole stack with `strategy` ("NAME [VAR=VALUE ...]"), on an emulator of their own."""
    name, *settings = strategy.split()
    with tempfile.TemporaryDirectory(prefix="dagster-ecs-bench-") as tmp:
        state_dir = Path(tmp) / "emulator"
        state = control.start(state_dir, None, "ap-southeast-2")
        try:
            env = {**os.environ, **control.environment(state), "ANSIBLE_NOCOLOR": "1", "ANSIBLE_STRATEGY": name}
            env.update(dict(setting.split("=", 1) for setting in settings))
            return [deploy(env, Path(str(state["call_log"])), extra) for _ in range(count)]
        finally:
            control.stop(state_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--strategies", default=STRATEGIES, help="comma-separated, measured one after the other")
    args, extra = parser.parse_known_args(argv)
    names: list[str] = []
    results: list[RunResult] = []
    for strategy in args.strategies.split(","):
        results += runs(strategy, args.runs, extra)
        label = " ".join(part.rsplit(".", 1)[-1] for part in strategy.split())
        names += [f"{label} run {i + 1}" for i in range(args.runs)]
    print(table(names, results))
    rerun_writes = sum(len(r.writes) for i, r in enumerate(results) if i % args.runs)
    if rerun_writes:
        print(f"\nre-runs made {rerun_writes} write calls; they must make none", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
