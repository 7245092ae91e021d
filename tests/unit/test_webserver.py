"""dagster_ecs.webserver and the reload over it, against a stand-in webserver answering canned GraphQL results:
a webserver that is not up yet is waited for, HTTP and GraphQL errors are named, and the reload's failures say
what the webserver answered (tests/e2e/test_live_reload.py runs the reload against a real one)."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from dagster_graphql import DagsterGraphQLClientError

from dagster_ecs.publish.errors import ReloadError
from dagster_ecs.publish.reload import LoadedDefinitions, reload_location
from dagster_ecs.webserver import Webserver, WebserverError
from tests.support.ports import free_port

# Answers the stand-in gives, by the first field the request's query selects.
type Answer = tuple[int, str]


def graphql(data: dict[str, Any]) -> Answer:
    return 200, json.dumps({"data": data})


def location_entry(assets: list[list[str]], release: str | None = None) -> dict[str, Any]:
    resources = [
        {"name": "dagster_ecs_release", "configuredValues": [{"key": "release_id", "value": json.dumps(release)}]}
    ]
    repository = {
        "name": "__repository__",
        "jobs": [{"name": "__ASSET_JOB"}, {"name": "live_job"}],
        "assetNodes": [{"assetKey": {"path": path}} for path in assets],
        "allTopLevelResourceDetails": resources if release else [],
    }
    return {
        "workspaceLocationEntryOrError": {
            "__typename": "WorkspaceLocationEntry",
            "loadStatus": "LOADED",
            "locationOrLoadError": {"__typename": "RepositoryLocation", "repositories": [repository]},
        }
    }


RELOADED = {
    "reloadRepositoryLocation": {
        "__typename": "WorkspaceLocationEntry",
        "name": "live",
        "locationOrLoadError": {"__typename": "RepositoryLocation", "isReloadSupported": True, "repositories": []},
    }
}


class StandIn:
    """An HTTP server answering POST /graphql from `answers` (first selected field -> answer); records requests."""

    def __init__(self, port: int, answers: dict[str, Callable[[], Answer]]) -> None:
        self.port = port
        self.answers = answers
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append(body)
                stand_in.headers.append(dict(self.headers))
                field = next(name for name in stand_in.answers if name in body["query"])
                status, text = stand_in.answers[field]()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if text.startswith("{") else "text/html")
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in() -> Iterator[Callable[..., StandIn]]:
    started: list[StandIn] = []

    def make(answers: dict[str, Callable[[], Answer]], *, start: bool = True) -> StandIn:
        server = StandIn(free_port(), answers)
        if start:
            server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        if server.thread.is_alive():
            server.stop()


def test_a_request_waits_for_a_webserver_that_is_not_up_yet(stand_in: Callable[..., StandIn]) -> None:
    server = stand_in({"workspaceLocationEntryOrError": lambda: graphql(location_entry([["a"]]))}, start=False)
    threading.Timer(1.0, server.start).start()
    data = Webserver(server.url).query(
        '{ workspaceLocationEntryOrError(name: "x") { __typename } }', deadline=time.monotonic() + 20
    )
    assert data["workspaceLocationEntryOrError"]["loadStatus"] == "LOADED"


def test_without_a_deadline_no_answer_fails_at_once_naming_the_endpoint_and_chaining_the_clients_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(WebserverError, match=rf"{url}/graphql did not answer") as raised:
        Webserver(url).call(lambda client: client.get_run_status("run-1"))
    assert time.monotonic() - started < 10
    assert isinstance(raised.value.__cause__, DagsterGraphQLClientError)


def test_an_http_error_is_not_retried_and_keeps_the_page(stand_in: Callable[..., StandIn]) -> None:
    server = stand_in({"pipelineRunOrError": lambda: (502, "<html>Bad Gateway from the load balancer</html>")})
    with pytest.raises(WebserverError, match=r"HTTP 502 from .*Bad Gateway from the load balancer"):
        Webserver(server.url).call(lambda client: client.get_run_status("run-1"), deadline=time.monotonic() + 30)
    assert len(server.requests) == 1


def test_graphql_errors_are_named(stand_in: Callable[..., StandIn]) -> None:
    errors = {"errors": [{"message": 'Cannot query field "nope" on type "Query".'}]}
    server = stand_in({"nope": lambda: (200, json.dumps(errors))})
    with pytest.raises(WebserverError, match=r"GraphQL errors from .*Cannot query field .*nope"):
        Webserver(server.url).query("{ nope }")


def test_the_reload_confirms_the_published_release_and_sends_the_headers(stand_in: Callable[..., StandIn]) -> None:
    server = stand_in(
        {
            "reloadRepositoryLocation": lambda: graphql(RELOADED),
            "workspaceLocationEntryOrError": lambda: graphql(location_entry([["repos", "live", "a"]], "20260101-1")),
        }
    )
    expected = LoadedDefinitions.of(["repos/live/a"], ["live_job"])
    served = reload_location(
        server.url, "live", expected, timeout=20, headers={"Authorization": "Bearer t"}, release="20260101-1"
    )
    assert served == expected
    assert server.requests[0]["variables"] == {"repositoryLocationName": "live"}
    assert all(headers["Authorization"] == "Bearer t" for headers in server.headers)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            {"__typename": "RepositoryLocationNotFound", "message": "Location not-served does not exist"},
            "failed: RepositoryLocationNotFound: Location not-served does not exist",
        ),
        # The client's mutation selects no message on these: the reload still says what was answered.
        ({"__typename": "UnauthorizedError"}, "answered UnauthorizedError or PythonError .*--read-only"),
    ],
)
def test_a_refused_reload_says_what_the_webserver_answered(
    stand_in: Callable[..., StandIn], answer: dict[str, Any], message: str
) -> None:
    server = stand_in({"reloadRepositoryLocation": lambda: graphql({"reloadRepositoryLocation": answer})})
    with pytest.raises(ReloadError, match=message):
        reload_location(server.url, "not-served", timeout=5)


def test_a_load_error_is_reported_with_its_chain(stand_in: Callable[..., StandIn]) -> None:
    error = {
        "__typename": "PythonError",
        "message": "dagster._core.errors.DagsterUserCodeLoadError: Error occurred during the loading",
        "errorChain": [
            {"error": {"message": "RepositoryLoadError: repository 'live': /efs/live/broken_dag.py failed"}}
        ],
    }
    reload_failed = {
        "__typename": "WorkspaceLocationEntry",
        "name": "live",
        "locationOrLoadError": {"__typename": "PythonError", "message": error["message"]},
    }
    entry = {
        "__typename": "WorkspaceLocationEntry",
        "loadStatus": "LOADED",
        "locationOrLoadError": error,
    }
    server = stand_in(
        {
            "reloadRepositoryLocation": lambda: graphql({"reloadRepositoryLocation": reload_failed}),
            "workspaceLocationEntryOrError": lambda: graphql({"workspaceLocationEntryOrError": entry}),
        }
    )
    with pytest.raises(ReloadError, match=r"failed to load: .*DagsterUserCodeLoadError.* / .*broken_dag\.py failed"):
        reload_location(server.url, "live", timeout=5)
