"""The GitHub workflows: linted for real, secure by construction, and the deploy scope decided from real git trees."""

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOWS_DIR.glob("*.yml"))
ACTIONLINT = Path(sys.executable).with_name("actionlint")
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
DEPLOY_ENVIRONMENTS = ["dev", "staging", "prod"]


def load_scope_script() -> ModuleType:
    path = REPO_ROOT / ".github" / "scripts" / "deploy_scope.py"
    spec = importlib.util.spec_from_file_location("deploy_scope", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scope = load_scope_script()


def workflow(name: str) -> dict[Any, Any]:
    return yaml.safe_load((WORKFLOWS_DIR / name).read_text())


def triggers(document: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean true.
    return document.get("on") or document[True]


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if step.get("uses", "").startswith(f"{action}@")]


def actionlint(cwd: Path) -> subprocess.CompletedProcess[str]:
    """actionlint exactly as scripts/check runs it: no arguments, from the checkout's root."""
    return subprocess.run([str(ACTIONLINT), "-oneline"], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def checkout_copy(tmp_path: Path) -> Path:
    """A git work tree holding a copy of the project's workflows (actionlint finds workflows from the git root)."""
    shutil.copytree(REPO_ROOT / ".github", tmp_path / ".github")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_actionlint_finds_and_rejects_a_broken_workflow(checkout_copy: Path) -> None:
    intact = actionlint(checkout_copy)
    assert intact.returncode == 0, intact.stdout + intact.stderr

    deploy = checkout_copy / ".github" / "workflows" / "deploy.yml"
    text = deploy.read_text()
    assert "needs.scope.outputs.mode == 'full'" in text
    deploy.write_text(text.replace("needs.scope.outputs.mode == 'full'", "needs.scpoe.outputs.mode == 'full'"))

    broken = actionlint(checkout_copy)
    assert broken.returncode == 1
    assert ".github/workflows/deploy.yml" in broken.stdout
    assert 'property "scpoe" is not defined' in broken.stdout


def test_scripts_check_lints_the_workflows() -> None:
    assert "uv run --frozen actionlint" in (REPO_ROOT / "scripts" / "check").read_text()


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_commit(path: Path) -> None:
    for job in yaml.safe_load(path.read_text())["jobs"].values():
        for uses in [job.get("uses", "")] + [step.get("uses", "") for step in job.get("steps", [])]:
            if uses and not uses.startswith("./"):
                assert PINNED.match(uses), f"{path.name}: {uses} is not pinned to a full commit SHA"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_least_privilege_and_no_long_lived_keys(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert document["permissions"] == {"contents": "read"}
    for name, job in document["jobs"].items():
        assumes_role = bool(steps_using(job, "aws-actions/configure-aws-credentials")) or job.get("uses") == (
            "./.github/workflows/dags.yml"
        )
        if job.get("permissions", {}).get("id-token") == "write":
            assert assumes_role, f"{path.name}: job {name} may request an OIDC token but assumes no AWS role"
        for step in steps_using(job, "aws-actions/configure-aws-credentials"):
            assert job["permissions"]["id-token"] == "write"
            assert step["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
            assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step["with"])
    assert "AWS_SECRET_ACCESS_KEY" not in path.read_text()


def test_ci_runs_the_readme_test_command_on_every_push_and_pull_request() -> None:
    ci = workflow("ci.yml")
    assert set(triggers(ci)) == {"push", "pull_request", "workflow_call"}
    # main is the one branch ci.yml leaves out, because deploy.yml calls it on every push to main.
    assert triggers(ci)["push"] == {"branches-ignore": ["main"]}
    assert triggers(workflow("deploy.yml"))["push"] == {"branches": ["main"]}
    assert workflow("deploy.yml")["jobs"]["ci"]["uses"] == "./.github/workflows/ci.yml"
    assert [step["run"] for step in ci["jobs"]["check"]["steps"] if "run" in step][-1] == ".ci/run"
    assert "exec scripts/check" in (REPO_ROOT / ".ci" / "run").read_text()


def test_deployments_run_in_their_environment_after_ci() -> None:
    deploy = workflow("deploy.yml")
    choices = triggers(deploy)["workflow_dispatch"]["inputs"]["environment"]["options"]
    assert choices == DEPLOY_ENVIRONMENTS
    assert triggers(workflow("dags.yml"))["workflow_dispatch"]["inputs"]["environment"]["options"] == choices
    for environment in choices:
        assert (REPO_ROOT / "inventory" / environment / "hosts.yml").is_file()
    assert tuple(choices) == scope.ENVIRONMENTS

    job = deploy["jobs"]["deploy"]
    assert job["needs"] == ["scope", "ci"]
    assert job["environment"] == "${{ needs.scope.outputs.environment }}"
    assert job["env"]["INVENTORY"] == "inventory/${{ needs.scope.outputs.environment }}"
    commands = [step["run"] for step in job["steps"] if "run" in step]
    assert commands == [
        'uv run --frozen ansible-playbook site.yml -i "$INVENTORY" --tags image',
        'uv run --frozen ansible-playbook site.yml -i "$INVENTORY"',
        'uv run --frozen ansible-playbook playbooks/deploy_dags.yml -i "$INVENTORY"',
    ]

    publish = workflow("dags.yml")["jobs"]["publish"]
    assert publish["environment"] == "${{ inputs.environment }}"
    # A DAG publish and a full deployment of one environment share a group, so they never overlap.
    groups = {job["concurrency"]["group"].split("$")[0] for job in (deploy["jobs"]["deploy"], publish)}
    assert groups == {"deploy-"}
    assert not job["concurrency"]["cancel-in-progress"]
    assert not publish["concurrency"]["cancel-in-progress"]


def ansible_playbook(playbook: str, *options: str) -> str:
    """ansible-playbook against inventory/dev as the deploy job runs it, listing or syntax-checking only."""
    command = [str(ACTIONLINT.with_name("ansible-playbook")), playbook, "-i", "inventory/dev", *options]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=True).stdout


def test_the_deploy_commands_name_playbooks_and_tags_that_exist() -> None:
    commands = [
        step["run"]
        for path in WORKFLOWS
        for job in yaml.safe_load(path.read_text())["jobs"].values()
        for step in job.get("steps", [])
        if "ansible-playbook" in step.get("run", "")
    ]
    playbooks = {command.split("ansible-playbook ")[1].split()[0] for command in commands}
    assert playbooks == {"site.yml", "playbooks/deploy_dags.yml"}
    # --tags image must build and push the image: the image role's tasks run under it.
    assert "image : " in ansible_playbook("site.yml", "--list-tasks", "--tags", "image")
    ansible_playbook("playbooks/deploy_dags.yml", "--syntax-check")


# --- the deploy scope: fast path (DAGs only), full deployment or nothing -------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def commit(repo: Path, files: dict[str, str | None]) -> str:
    """Write (or, for None, delete) files and commit them; returns the commit's SHA."""
    for name, content in files.items():
        path = repo / name
        if content is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "--allow-empty", "-m", "c")
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A git repository shaped like this project, and the SHA of its 'last deployed' commit."""
    git(tmp_path, "init", "-q")
    base = commit(
        tmp_path,
        {
            "site.yml": "---\n",
            "roles/efs/tasks/main.yml": "---\n",
            "dags/__init__.py": "",
            "dags/main/template_dag.py": "x = 1\n",
            "dags/analytics/daily_metrics.py": "y = 1\n",
            "dags/analytics/storage_inventory.py": "w = 1\n",
            "dags/_shared/helpers.py": "z = 1\n",
        },
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path, base


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"dags/main/template_dag.py": "x = 2\n"}, "dags"),
        ({"dags/main/new_dag.py": "n = 1\n", "dags/analytics/storage_inventory.py": None}, "dags"),
        ({"dags/main/.dagsterignore": "scratch/\n"}, "dags"),
        ({"dags/main/template_dag.py": "x = 2\n", "roles/efs/tasks/main.yml": "---\n# changed\n"}, "full"),
        ({"dags/repo-2/first.py": "r = 1\n"}, "full"),  # a new repository needs its access point and code server
        # the repository's last files: the repository disappears
        ({"dags/analytics/daily_metrics.py": None, "dags/analytics/storage_inventory.py": None}, "full"),
        ({"dags/_shared/helpers.py": "z = 2\n"}, "full"),  # not a repository
        ({"dags/__init__.py": "# package\n"}, "full"),
        ({"uv.lock": "changed\n"}, "full"),
        ({}, "nothing"),
    ],
)
def test_scope_since_the_last_deployment(
    project: tuple[Path, str], change: dict[str, str | None], expected: str
) -> None:
    repo, base = project
    head = commit(repo, change)
    assert scope.scope_between(base, head) == expected


def test_scope_covers_every_commit_since_the_last_successful_deployment(project: tuple[Path, str]) -> None:
    repo, deployed = project
    commit(repo, {"roles/efs/tasks/main.yml": "---\n# its deployment failed\n"})
    head = commit(repo, {"dags/main/template_dag.py": "x = 3\n"})
    # Against its parent the last push is DAG-only; against what is really deployed it is not.
    assert scope.scope_between(git(repo, "rev-parse", "HEAD~1"), head) == "dags"
    assert scope.scope_between(deployed, head) == "full"


def test_scope_is_full_when_the_last_deployment_is_unknown(project: tuple[Path, str]) -> None:
    repo, _ = project
    head = commit(repo, {"dags/main/template_dag.py": "x = 4\n"})
    assert scope.scope_between(None, head) == "full"
    assert scope.scope_between("0" * 40, head) == "full"  # a commit this clone does not have


def deployments_api(deployments: list[tuple[int, str, str | None]]) -> dict[str, Any]:
    """Responses of GitHub's deployments API: (id, sha, latest status or None), newest first."""
    repo, query = "acme/dagster-ecs", "environment=dev&per_page=30"
    responses: dict[str, Any] = {f"/repos/{repo}/deployments?{query}": [{"id": i, "sha": s} for i, s, _ in deployments]}
    for deployment_id, _, state in deployments:
        statuses = [] if state is None else [{"state": state}]
        responses[f"/repos/{repo}/deployments/{deployment_id}/statuses?per_page=1"] = statuses
    return responses


def test_last_successful_deployment_skips_failed_and_running_ones() -> None:
    responses = deployments_api([(3, "c" * 40, "in_progress"), (2, "b" * 40, "failure"), (1, "a" * 40, "success")])
    assert scope.last_successful_sha(responses.__getitem__, "acme/dagster-ecs", "dev") == "a" * 40
    nothing = deployments_api([(2, "b" * 40, "failure"), (1, "a" * 40, None)])
    assert scope.last_successful_sha(nothing.__getitem__, "acme/dagster-ecs", "dev") is None


def test_manual_runs_and_unreadable_history_deploy_everything(project: tuple[Path, str]) -> None:
    repo, base = project
    head = commit(repo, {"dags/main/template_dag.py": "x = 5\n"})

    def unreachable() -> str:
        raise OSError("network unreachable")

    assert scope.decide("push", "dev", head, lambda: base)[0] == "dags"
    assert scope.decide("workflow_dispatch", "prod", head, lambda: base)[0] == "full"
    assert scope.decide("push", "dev", head, unreachable)[0] == "full"
    assert scope.decide("push", "dev", head, lambda: None)[0] == "full"


def test_scope_script_writes_the_step_outputs(
    project: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The script as the workflow runs it, against an API that refuses the connection: a full deployment."""
    repo, _ = project
    head = commit(repo, {"dags/main/template_dag.py": "x = 6\n"})
    output = tmp_path_factory.mktemp("gh") / "output"
    env = {
        "PATH": "/usr/bin:/bin",
        "EVENT_NAME": "push",
        "ENVIRONMENT": "dev",
        "GITHUB_REPOSITORY": "acme/dagster-ecs",
        "GITHUB_SHA": head,
        "GITHUB_TOKEN": "not-a-token",
        "GITHUB_API_URL": "http://127.0.0.1:9",  # discard port: nothing listens
        "GITHUB_OUTPUT": str(output),
    }
    script = REPO_ROOT / ".github" / "scripts" / "deploy_scope.py"
    result = subprocess.run([sys.executable, str(script)], cwd=repo, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "could not read the last deployment of dev" in result.stdout
    assert output.read_text() == "mode=full\nenvironment=dev\n"

    result = subprocess.run(
        [sys.executable, str(script)], cwd=repo, env={**env, "ENVIRONMENT": "local"}, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "ENVIRONMENT must be one of dev, staging, prod, not 'local'" in result.stderr
