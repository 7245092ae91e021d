#!/usr/bin/env python3
"""Decide what a push to main must deploy: the whole stack, only the DAGs, or nothing.

The fast path (publish DAGs in seconds, no image build, no site.yml) is only safe when everything that changed
since the environment's last *successful* deployment lies inside DAG repositories that already exist: a new or
removed repository needs site.yml (access point, task role, code server), and any other file may change the
image or the infrastructure. Comparing with the last successful deployment rather than with the push's parent
means a full deployment that failed or was cancelled is never skipped by a later DAG-only push.
Anything that cannot be determined (no earlier deployment, a commit not in the clone, an API error) means
"full". Standard library only, so the workflow runs it before installing anything.

Environment: EVENT_NAME, ENVIRONMENT, GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_TOKEN, GITHUB_API_URL,
GITHUB_OUTPUT (all set by the workflow or by GitHub Actions).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

ENVIRONMENTS = ("dev", "staging", "prod")
DAGS_DIR = "dags"
# How many of the environment's newest deployments are searched for a successful one before giving up (= full).
DEPLOYMENTS_SEARCHED = 30

FULL, DAGS, NOTHING = "full", "dags", "nothing"

FetchJson = Callable[[str], Any]


def git(*args: str) -> str:
    return subprocess.run(["git", *args], check=True, capture_output=True, text=True).stdout  # noqa: S607


def has_commit(sha: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"{sha}^{{commit}}"], capture_output=True).returncode == 0  # noqa: S607


def repositories_at(sha: str) -> set[str]:
    """The DAG repositories in a commit: directories under dags/ not starting with '.' or '_' (as discovery.py)."""
    listing = git("ls-tree", "-d", "--name-only", f"{sha}:{DAGS_DIR}") if has_path(sha, DAGS_DIR) else ""
    return {name for name in listing.split() if not name.startswith((".", "_"))}


def has_path(sha: str, path: str) -> bool:
    return subprocess.run(["git", "cat-file", "-e", f"{sha}:{path}"], capture_output=True).returncode == 0  # noqa: S607


def changed_paths(base: str, head: str) -> list[str]:
    # --no-renames lists both sides of a move, so a file moved out of a repository counts as leaving it.
    return git("diff", "--no-renames", "--name-only", base, head).splitlines()


def classify(paths: Iterable[str], repositories_before: set[str], repositories_after: set[str]) -> str:
    """FULL unless every path is a file inside a repository that exists both before and after."""
    paths = list(paths)
    if not paths:
        return NOTHING
    if repositories_before != repositories_after:
        return FULL
    for path in paths:
        parts = path.split("/")
        if len(parts) < 3 or parts[0] != DAGS_DIR or parts[1] not in repositories_after:
            return FULL
    return DAGS


def scope_between(base: str | None, head: str) -> str:
    """What deploying `head` needs when `base` is the last successfully deployed commit (None: unknown)."""
    if base is None or not has_commit(base):
        return FULL
    return classify(changed_paths(base, head), repositories_at(base), repositories_at(head))


def last_successful_sha(fetch_json: FetchJson, repository: str, environment: str) -> str | None:
    """The commit of the environment's newest deployment whose latest status is success, if any."""
    query = urllib.parse.urlencode({"environment": environment, "per_page": DEPLOYMENTS_SEARCHED})
    for deployment in fetch_json(f"/repos/{repository}/deployments?{query}"):
        statuses = fetch_json(f"/repos/{repository}/deployments/{deployment['id']}/statuses?per_page=1")
        if statuses and statuses[0]["state"] == "success":
            return deployment["sha"]
    return None


def github_fetcher(api_url: str, token: str) -> FetchJson:
    def fetch_json(path: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 (api_url is GitHub's, from the runner)
            api_url.rstrip("/") + path,
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": "2022-11-28",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)

    return fetch_json


def decide(event: str, environment: str, head: str, last_deployed: Callable[[], str | None]) -> tuple[str, str]:
    """(mode, reason). Only a push may take the fast path; a manual run always deploys everything."""
    if event != "push":
        return FULL, f"{event}: a manual deployment deploys everything"
    try:
        base = last_deployed()
    except OSError as error:  # urllib's errors are OSErrors: an unreachable API must not skip a deployment
        return FULL, f"could not read the last deployment of {environment} ({error})"
    if base is None:
        return FULL, f"no successful deployment of {environment} found"
    mode = scope_between(base, head)
    return mode, f"changes since the last successful deployment of {environment} ({base[:12]}): {mode}"


def main() -> int:
    environment = os.environ["ENVIRONMENT"]
    if environment not in ENVIRONMENTS:
        print(f"ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}", file=sys.stderr)
        return 2
    repository, head = os.environ["GITHUB_REPOSITORY"], os.environ["GITHUB_SHA"]
    fetch_json = github_fetcher(os.environ.get("GITHUB_API_URL", "https://api.github.com"), os.environ["GITHUB_TOKEN"])
    mode, reason = decide(
        os.environ["EVENT_NAME"], environment, head, lambda: last_successful_sha(fetch_json, repository, environment)
    )
    print(reason)
    with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as output:
        output.write(f"mode={mode}\nenvironment={environment}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
