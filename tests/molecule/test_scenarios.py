"""Every molecule scenario under molecule/, run as `molecule test` against its own emulator."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted(p.parent.name for p in (REPO_ROOT / "molecule").glob("*/molecule.yml"))


def test_there_are_scenarios() -> None:
    assert SCENARIOS, "no molecule scenarios found under molecule/"


# The whole-stack scenario runs site.yml four times and a fifth with two roles' tags (molecule's check, converge and
# idempotence, then the drift's --check --diff and its repair) and playbooks/teardown.yml three times (refused,
# forced, again); docs/benchmarks.md has its time in the suite.
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DAGSTER_ECS_EMULATOR_PORT": str(free_port()),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "NO_COLOR": "1",
        "ANSIBLE_NOCOLOR": "1",
    }
    molecule = Path(sys.executable).with_name("molecule")
    log = tmp_path / "molecule.log"
    try:
        result = subprocess.run(
            [str(molecule), "test", "--scenario-name", scenario],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1400,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        # Say which step it was in: the output so far, as a failure would.
        log.write_text(_text(timeout.stdout) + _text(timeout.stderr))
        pytest.fail(f"molecule test -s {scenario} ran over {timeout.timeout} s; output:\n{log.read_text()[-6000:]}")
    log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"molecule test -s {scenario} failed; last output:\n{log.read_text()[-6000:]}"


def _text(output: str | bytes | None) -> str:
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""
