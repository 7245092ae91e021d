"""Going live: ask the webserver to reload a code location, then confirm what it serves (GraphQL over HTTP).

reloadRepositoryLocation makes the webserver tell the location's code server to reload; `dagster code-server
start` then starts a fresh loader process, which resolves `current` anew. No container restarts. The reload goes
through DagsterGraphQLClient.reload_repository_location; what the location serves afterwards is read with a query
of our own (dagster_ecs.webserver says why).
"""

import json
import time
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from dagster_graphql import ReloadRepositoryLocationStatus

from dagster_ecs.location import RELEASE_RESOURCE
from dagster_ecs.publish.errors import ReloadError
from dagster_ecs.publish.preflight import LoadedDefinitions
from dagster_ecs.webserver import ERROR_LIMIT, Webserver, WebserverError

__all__ = ["LoadedDefinitions", "ReloadError", "Served", "reload_location", "served", "served_definitions"]

POLL_INTERVAL = 0.25
RELOAD_INTERVAL = 2.0  # between reloads while the location still serves another release

# DagsterGraphQLClient has no query for this: the location's load status, its load error with the whole chain
# (the client's reload result carries only the top message, which names no DAG file), and the asset keys, jobs
# and resource values it serves (the release id is a resource value, see dagster_ecs.location.ServedRelease).
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
    with _reload_errors():
        webserver = Webserver(webserver_url, headers)
    _reload(webserver, location, deadline)
    last_reload = time.monotonic()
    now: Served | None = None
    while True:
        now = _served(webserver, location, deadline)
        if now is not None and release is not None and now.release != release:
            if time.monotonic() >= deadline:
                break
            if time.monotonic() - last_reload >= RELOAD_INTERVAL:
                _reload(webserver, location, deadline)
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


def _reload(webserver: Webserver, location: str, deadline: float) -> None:
    try:
        with _reload_errors():
            result = webserver.call(lambda client: client.reload_repository_location(location), deadline)
    except KeyError as error:
        # The client's mutation asks no message of these two results and then fails reading one.
        raise ReloadError(
            f"reloading code location {location!r} failed: the webserver answered UnauthorizedError or PythonError "
            "(a webserver started with --read-only refuses reloads; otherwise see the webserver's log)"
        ) from error
    # A PythonError is the location's own load error: `_served` reports it with its whole chain.
    if result.status == ReloadRepositoryLocationStatus.FAILURE and result.failure_type != "PythonError":
        raise ReloadError(f"reloading code location {location!r} failed: {result.failure_type}: {result.message}")


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
    with _reload_errors():
        webserver = Webserver(webserver_url, headers)
    return _served(webserver, location, deadline)


def _served(webserver: Webserver, location: str, deadline: float | None) -> Served | None:
    with _reload_errors():
        data = webserver.query(LOCATION_QUERY, {"location": location}, deadline)
    entry = data["workspaceLocationEntryOrError"]
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


@contextmanager
def _reload_errors() -> Generator[None]:
    """A failed request as a ReloadError (a PublishError, what the publish commands and dag_reload catch)."""
    try:
        yield
    except WebserverError as error:
        raise ReloadError(str(error)) from error
