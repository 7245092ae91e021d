"""A Dagster webserver's GraphQL API: `dagster_graphql.DagsterGraphQLClient`, and one helper for what it lacks.

DagsterGraphQLClient (dagster-graphql 1.13) reloads a code location, launches a job and reads a run's status:
use `Webserver.call` with it for those. It has no query for what a code location serves (its asset keys, jobs and
resources, which is how a reload confirms the published release is live), nor for the workspace's load errors
with their chain or a run's event log: those go through `Webserver.query`, on the same HTTP transport (one URL,
one set of headers, one request timeout).

The client retries nothing, and wraps every failure in DagsterGraphQLClientError with a message that holds the
whole query text. `call` and `query` retry a request that got no answer until the caller's deadline (a webserver
may be restarting) and raise WebserverError saying what failed, chained to the client's error.
"""

import json
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError
from gql import Client, GraphQLRequest
from gql.transport.exceptions import (
    TransportConnectionFailed,
    TransportError,
    TransportProtocolError,
    TransportQueryError,
    TransportServerError,
)
from gql.transport.requests import RequestsHTTPTransport

RETRY_INTERVAL = 0.25
# One request's own limit (a reload mutation waits for the code server to answer).
REQUEST_TIMEOUT = 30
ERROR_LIMIT = 4000


class WebserverError(RuntimeError):
    """A GraphQL request failed: no answer before the deadline, an HTTP error, or errors in the answer."""


class Webserver:
    """The GraphQL endpoint of the webserver at `url` (http(s)://host[:port][/path prefix])."""

    def __init__(self, url: str, headers: Mapping[str, str] | None = None, timeout: int = REQUEST_TIMEOUT) -> None:
        if not url.startswith(("http://", "https://")):
            raise WebserverError(f"webserver URL {url!r} is not an http(s) URL")
        self.endpoint = f"{url.rstrip('/')}/graphql"
        transport = RequestsHTTPTransport(url=self.endpoint, headers=dict(headers or {}), timeout=timeout)
        # The client builds its URL from host, port and path prefix; given a transport it uses that instead.
        self.client = DagsterGraphQLClient(urlsplit(url).netloc, transport=transport)
        self._raw = Client(transport=transport)

    def call[T](self, request: Callable[[DagsterGraphQLClient], T], deadline: float | None = None) -> T:
        """`request(self.client)`, sent again until `deadline` (time.monotonic()) while the webserver does not answer.

        Without a deadline a request that gets no answer fails at once.
        """
        while True:
            try:
                with warnings.catch_warnings():
                    # dagster-graphql 1.13 still calls gql 4 the old way, warning on every request it makes.
                    warnings.filterwarnings("ignore", "Using variable_values and operation_name", DeprecationWarning)
                    return request(self.client)
            except (DagsterGraphQLClientError, TransportError) as error:
                if _unanswered(error) and deadline is not None and time.monotonic() < deadline:
                    time.sleep(RETRY_INTERVAL)
                    continue
                raise WebserverError(self._describe(error)) from error

    def query(
        self, document: str, variables: Mapping[str, Any] | None = None, deadline: float | None = None
    ) -> dict[str, Any]:
        """The `data` of a query DagsterGraphQLClient has no method for; retried as `call` retries."""
        request = GraphQLRequest(document, variable_values=dict(variables or {}))
        return self.call(lambda _: self._raw.execute(request), deadline)

    def _describe(self, error: Exception) -> str:
        for cause in _chain(error):
            if isinstance(cause, TransportConnectionFailed):
                return f"{self.endpoint} did not answer: {cause}"
            if isinstance(cause, TransportQueryError):
                errors = json.dumps(cause.errors) if cause.errors else str(cause)
                return f"GraphQL errors from {self.endpoint}: {errors[:ERROR_LIMIT]}"
            if isinstance(cause, TransportServerError):
                # requests' HTTPError, under the transport's error, holds the response (an ALB's or proxy's page).
                responses = (getattr(link, "response", None) for link in _chain(cause))
                response = next((found for found in responses if found is not None), None)
                body = response.text if response is not None else str(cause)
                return f"HTTP {cause.code} from {self.endpoint}: {body[:ERROR_LIMIT]}"
            if isinstance(cause, TransportProtocolError):
                return f"{self.endpoint} did not answer with GraphQL: {str(cause)[:ERROR_LIMIT]}"
        if error.__cause__ is not None:
            return f"{self.endpoint}: {type(error.__cause__).__name__}: {error.__cause__}"[:ERROR_LIMIT]
        # A typed error result the client raises itself, e.g. ("RunNotFoundError", message).
        return f"{self.endpoint}: {': '.join(map(str, error.args))}"[:ERROR_LIMIT]


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _unanswered(error: BaseException) -> bool:
    """No answer at all (refused, reset, timed out): gql 4 wraps every requests failure in TransportConnectionFailed."""
    return any(isinstance(cause, TransportConnectionFailed) for cause in _chain(error))
