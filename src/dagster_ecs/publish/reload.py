"""Going live: ask the webserver to reload a code location, then confirm what it serves (GraphQL over HTTP).

reloadRepositoryLocation makes the webserver tell the location's code server to reload; `dagster code-server
start` then starts a fresh loader process, which resolves `current` anew. No container restarts.
"""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dagster_ecs.publish.errors import ReloadError
from dagster_ecs.publish.preflight import LoadedDefinitions

__all__ = ["LoadedDefinitions", "ReloadError", "Served", "reload_location", "served", "served_definitions"]

POLL_INTERVAL = 0.25
RELOAD_INTERVAL = 2.0  # between reloads while the location still serves another release
RELEASE_RESOURCE = "dagster_ecs_release"  # dagster_ecs.location.RELEASE_RESOURCE (not imported: it loads dagster)
# One GraphQL request's own limit (a reload mutation waits for the code server to answer).
REQUEST_TIMEOUT = 30.0
ERROR_LIMIT = 4000

RELOAD_MUTATION = """
mutation Reload($location: String!) {
  reloadRepositoryLocation(repositoryLocationName: $location) {
    __typename
    ... on WorkspaceLocationEntry { name loadStatus }
    ... on ReloadNotSupported { message }
    ... on RepositoryLocationNotFound { message }
    ... on UnauthorizedError { message }
    ... on PythonError { message }
  }
}
"""

LOCATION_QUERY = """
query Location($location: String!) {
  workspaceLocationEntryOrError(name: $location) {
    __typename
    ... on WorkspaceLocationEntry {
      loadStatus
      locationOrLoadError {
        __typename
        ... on RepositoryLocation {
          repositories {
            name jobs { name } assetNodes { assetKey { path } }
            allTopLevelResourceDetails { name configuredValues { key value } }
          }
        }
        ... on PythonError { message errorChain { error { message } } }
      }
    }
    ... on PythonError { message }
  }
}
"""


@dataclass(frozen=True)
class Served:
    """What a location serves: its definitions and the release it was loaded from (None: not a release)."""

    definitions: LoadedDefinitions
    release: str | None


def reload_location(
    webserver_url: str,
    location: str,
    expected: LoadedDefinitions | None = None,
    timeout: float = 60.0,
    *,
    headers: Mapping[str, str] | None = None,
    release: str | None = None,
) -> LoadedDefinitions:
    """Reload `location` and wait until it is loaded (serving exactly `expected` and `release`, when given).

    While it serves another release than `release` it is reloaded again (the code server may have resolved a
    cached `current`). Raises ReloadError with the location's load error, or with what it serves instead.
    `headers` are added to every request (e.g. an Authorization header in front of an authenticating proxy).
    """
    deadline = time.monotonic() + timeout
    client = _GraphQL(webserver_url, dict(headers or {}))
    _reload(client, location, deadline)
    last_reload = time.monotonic()
    now: Served | None = None
    while True:
        now = served(webserver_url, location, headers=headers, deadline=deadline)
        if now is not None and release is not None and now.release != release:
            if time.monotonic() >= deadline:
                break
            if time.monotonic() - last_reload >= RELOAD_INTERVAL:
                _reload(client, location, deadline)
                last_reload = time.monotonic()
            time.sleep(POLL_INTERVAL)
            continue
        if now is not None and (expected is None or now.definitions == expected):
            return now.definitions
        if time.monotonic() >= deadline:
            break
        time.sleep(POLL_INTERVAL)
    if now is None:
        raise ReloadError(f"code location {location!r} was still loading after {timeout:.0f}s")
    if release is not None and now.release != release:
        raise ReloadError(
            f"code location {location!r} still serves release {now.release or '(none: not a release)'} after "
            f"{timeout:.0f}s, not the published release {release} (its code server may resolve a cached "
            "`current`, or read another directory than the one published to; reload the location again, or "
            "restart its code server)"
            + (f"; what it serves: {_difference(expected, now.definitions)}" if expected != now.definitions else "")
        )
    raise ReloadError(
        f"code location {location!r} does not serve what was published after {timeout:.0f}s: "
        + _difference(expected, now.definitions)
    )


def _reload(client: "_GraphQL", location: str, deadline: float) -> None:
    result = client.execute(RELOAD_MUTATION, {"location": location}, deadline)["reloadRepositoryLocation"]
    if result["__typename"] != "WorkspaceLocationEntry":
        raise ReloadError(
            f"reloading code location {location!r} failed: {result['__typename']}: {result.get('message')}"
        )


def served_definitions(
    webserver_url: str,
    location: str,
    *,
    headers: Mapping[str, str] | None = None,
    deadline: float | None = None,
) -> LoadedDefinitions | None:
    """What `location` serves now; None while it is loading; ReloadError when it failed to load."""
    now = served(webserver_url, location, headers=headers, deadline=deadline)
    return None if now is None else now.definitions


def served(
    webserver_url: str,
    location: str,
    *,
    headers: Mapping[str, str] | None = None,
    deadline: float | None = None,
) -> Served | None:
    """What `location` serves now and from which release; None while it is loading."""
    client = _GraphQL(webserver_url, dict(headers or {}))
    entry = client.execute(LOCATION_QUERY, {"location": location}, deadline)["workspaceLocationEntryOrError"]
    if entry is None:
        raise ReloadError(f"the webserver's workspace has no code location {location!r}")
    if entry["__typename"] != "WorkspaceLocationEntry":
        raise ReloadError(f"reading code location {location!r} failed: {entry.get('message')}")
    if entry["loadStatus"] != "LOADED":
        return None
    loaded = entry["locationOrLoadError"] or {}
    if loaded.get("__typename") != "RepositoryLocation":
        chain = [loaded.get("message") or "", *(link["error"]["message"] for link in loaded.get("errorChain") or [])]
        raise ReloadError(
            f"code location {location!r} failed to load: {' / '.join(m.strip() for m in chain if m)}"[:ERROR_LIMIT]
        )
    repositories = loaded["repositories"]
    definitions = LoadedDefinitions.of(
        ["/".join(node["assetKey"]["path"]) for repository in repositories for node in repository["assetNodes"]],
        [job["name"] for repository in repositories for job in repository["jobs"]],
    )
    return Served(definitions, _release(repositories))


def _release(repositories: list[dict[str, Any]]) -> str | None:
    for repository in repositories:
        for resource in repository.get("allTopLevelResourceDetails") or []:
            if resource["name"] != RELEASE_RESOURCE:
                continue
            for value in resource["configuredValues"]:
                if value["key"] == "release_id":
                    try:
                        decoded = json.loads(value["value"])
                    except ValueError:
                        decoded = value["value"]
                    return str(decoded)
    return None


def _difference(expected: LoadedDefinitions | None, served: LoadedDefinitions) -> str:
    if expected is None:
        return f"serves {served}"
    parts = []
    for what, want, have in (
        ("asset keys", expected.asset_keys, served.asset_keys),
        ("jobs", expected.job_names, served.job_names),
    ):
        missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
        if missing:
            parts.append(f"{what} missing: {', '.join(missing)}")
        if extra:
            parts.append(f"{what} not published: {', '.join(extra)}")
    return "; ".join(parts)


class _GraphQL:
    def __init__(self, url: str, headers: dict[str, str]) -> None:
        if not url.startswith(("http://", "https://")):
            raise ReloadError(f"webserver URL {url!r} is not an http(s) URL")
        self.endpoint = f"{url.rstrip('/')}/graphql"
        self.headers = {"Content-Type": "application/json", **headers}

    def execute(self, query: str, variables: Mapping[str, Any], deadline: float | None) -> dict[str, Any]:
        """POST the query; connection errors are retried until `deadline` (the webserver may be restarting).

        Each request may take REQUEST_TIMEOUT whatever is left of the deadline: a reload mutation started just
        before it would otherwise time out, and the caller could no longer say what the location serves.
        """
        body = json.dumps({"query": query, "variables": dict(variables)}).encode()
        while True:
            request = urllib.request.Request(self.endpoint, data=body, headers=self.headers, method="POST")  # noqa: S310
            try:
                with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:  # noqa: S310 - http(s) checked in __init__
                    payload = json.load(response)
                break
            except urllib.error.HTTPError as error:
                detail = error.read().decode(errors="replace")[:ERROR_LIMIT]
                raise ReloadError(f"HTTP {error.code} from {self.endpoint}: {detail}") from None
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                if deadline is None or time.monotonic() >= deadline:
                    raise ReloadError(f"{self.endpoint} did not answer: {error}") from None
                time.sleep(POLL_INTERVAL)
        if payload.get("errors"):
            raise ReloadError(f"GraphQL errors from {self.endpoint}: {json.dumps(payload['errors'])[:ERROR_LIMIT]}")
        return payload["data"]
