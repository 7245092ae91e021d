"""Real Dagster processes for end-to-end tests, and a GraphQL client to drive them (dagster_ecs.webserver).

Every process runs in its own session (so its own process group), logs to a file, and is stopped by killing
the whole group: Dagster processes start children (code servers, run workers) that must not outlive a test.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from dagster_ecs.config.workspace import code_server_command
from dagster_ecs.webserver import Webserver, WebserverError
from tests.support.ports import free_port, http_ok

TERMINAL_RUN_STATUSES = frozenset({"SUCCESS", "FAILURE", "CANCELED"})
STOP_TIMEOUT = 20.0
LOG_TAIL_LINES = 60
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def venv_script(name: str) -> str:
    """A console script of the interpreter running the tests (dagster, dagster-webserver, ...)."""
    path = Path(sys.executable).with_name(name)
    if not path.exists():
        raise FileNotFoundError(f"{name} is not installed next to {sys.executable}")
    return str(path)


def base_env(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without any Dagster or platform settings of the caller, plus `extra`."""
    leaked = ("DAGSTER_", "S3_BUCKET", "AWS_ENDPOINT_URL")
    env = {name: value for name, value in os.environ.items() if not name.startswith(leaked)}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last `lines` lines of a log, without the terminal colours Dagster's loggers add."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return f"(no log at {path})"
    return "\n".join(ANSI_ESCAPE.sub("", text).splitlines()[-lines:])


class ReadinessError(RuntimeError):
    """A process did not become ready; the message carries the tail of its log."""


class ProcessesLeftBehindError(RuntimeError):
    """Processes of a stopped process group were still alive after SIGKILL."""


@dataclass(frozen=True)
class ProcStat:
    pid: int
    ppid: int
    pgrp: int
    state: str
    command: str


def process_table() -> dict[int, ProcStat]:
    """Every process on the machine, from /proc (zombies included: callers decide what they mean)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        pid = int(entry.name)
        table[pid] = ProcStat(pid=pid, ppid=int(fields[1]), pgrp=int(fields[2]), state=fields[0], command=cmdline)
    return table


def live_family(root_pid: int, known: set[int] | None = None) -> dict[int, ProcStat]:
    """Live (non-zombie) processes in `root_pid`'s process group, its descendants, and `known` pids."""
    table = process_table()
    family = {pid for pid, stat in table.items() if stat.pgrp == root_pid} | (known or set())
    family.add(root_pid)
    changed = True
    while changed:
        children = {pid for pid, stat in table.items() if stat.ppid in family} - family
        family |= children
        changed = bool(children)
    return {pid: table[pid] for pid in family if pid in table and table[pid].state != "Z"}


@dataclass
class DagsterProcess:
    """One started process (the leader of its own process group) and its log."""

    name: str
    command: list[str]
    log_path: Path
    process: subprocess.Popen[bytes]
    port: int | None = None
    seen: set[int] = field(default_factory=set)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return tail(self.log_path, lines)

    def describe_failure(self, problem: str) -> str:
        state = "running" if self.alive() else f"exited with {self.process.returncode}"
        return (
            f"{self.name}: {problem} (pid {self.pid}, {state}; log {self.log_path})\n"
            f"--- last lines of {self.name}'s log ---\n{self.log_tail()}"
        )

    def wait_ready(self, check: Callable[[], bool], timeout: float, what: str, interval: float = 0.5) -> None:
        """Poll `check` until True; fail early if the process exits, and always with the log's tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check():
                return
            if not self.alive():
                raise ReadinessError(self.describe_failure(f"exited before {what}"))
            self.remember_children()
            time.sleep(interval)
        raise ReadinessError(self.describe_failure(f"{what} not reached after {timeout:.0f}s"))

    def remember_children(self) -> None:
        """Note the process's current descendants, so a child that left the group is still stopped."""
        self.seen |= set(live_family(self.pid, self.seen))

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the process group, SIGKILL what is left; raise if anything survives."""
        self.remember_children()
        self._signal_all(signal.SIGTERM)
        if not self._wait_family_gone(timeout):
            self._signal_all(signal.SIGKILL)
            self._wait_family_gone(10)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        survivors = live_family(self.pid, self.seen)
        if survivors:
            listing = "\n".join(f"  {s.pid} ({s.state}) {s.command}" for s in survivors.values())
            raise ProcessesLeftBehindError(f"{self.name}: processes still alive after SIGKILL:\n{listing}")

    def _signal_all(self, signum: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signum)
        for pid in live_family(self.pid, self.seen):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def _wait_family_gone(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.process.poll()  # reap the leader, which is our child
            if not live_family(self.pid, self.seen):
                return True
            time.sleep(0.2)
        return False


class DagsterProcesses:
    """Processes started for one test, all stopped (in reverse order) when the block ends."""

    def __init__(self, log_dir: Path, env: Mapping[str, str], cwd: Path) -> None:
        self.log_dir = log_dir
        self.env = dict(env)
        self.cwd = cwd
        self.processes: list[DagsterProcess] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop_all()

    def stop_all(self) -> None:
        errors = []
        while self.processes:
            process = self.processes.pop()
            try:
                process.stop()
            except ProcessesLeftBehindError as error:
                errors.append(str(error))
        if errors:
            raise ProcessesLeftBehindError("\n".join(errors))

    def start(self, name: str, command: Sequence[str], port: int | None = None) -> DagsterProcess:
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.cwd,
                start_new_session=True,  # its own process group, killed as a whole
            )
        started = DagsterProcess(name=name, command=list(command), log_path=log_path, process=process, port=port)
        self.processes.append(started)
        return started

    def diagnostics(self) -> str:
        """The tail of every process's log, for failure messages."""
        return "\n".join(
            f"--- {p.name} ({'running' if p.alive() else f'exit {p.process.returncode}'}) ---\n{p.log_tail(30)}"
            for p in self.processes
        )

    def code_server(self, repository: str) -> DagsterProcess:
        """`dagster code-server start` for one repository, as its ECS service runs it (see wait_code_server)."""
        port = free_port()
        command = code_server_command(repository, host="127.0.0.1", port=port)
        command[0] = venv_script(command[0])
        return self.start(f"code-server-{repository}", command, port=port)

    def wait_code_server(self, process: DagsterProcess, timeout: float = 90) -> None:
        """Wait for gRPC health SERVING: the code server has finished loading its code (its proxy does not
        report SERVING before that). A load error still serves; it shows as the location's load error."""
        port = process.port
        if port is None:
            raise ValueError(f"{process.name} has no port")
        process.wait_ready(lambda: grpc_serving(port), timeout, "gRPC health SERVING")

    def webserver(self, workspace: Path, timeout: float = 90) -> DagsterProcess:
        port = free_port()
        command = [venv_script("dagster-webserver"), "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)]
        process = self.start("webserver", command, port=port)
        process.wait_ready(lambda: http_ok(f"{process.url}/server_info"), timeout, "/server_info answering")
        return process

    def daemon(self, workspace: Path) -> DagsterProcess:
        return self.start("daemon", [venv_script("dagster-daemon"), "run", "-w", str(workspace)])


def grpc_serving(port: int, host: str = "127.0.0.1") -> bool:
    """What `dagster api grpc-health-check` asks, without starting a Python process per poll."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    try:
        with grpc.insecure_channel(f"{host}:{port}") as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service="DagsterApi"), timeout=2
            )
    except grpc.RpcError:
        return False
    return response.status == health_pb2.HealthCheckResponse.SERVING


# --- GraphQL -------------------------------------------------------------------------------------------------

# The queries DagsterGraphQLClient has no method for (see dagster_ecs.webserver): every location's load status
# and load error with its stack, and a run's event log.
WORKSPACE_QUERY = """
query Workspace {
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on RepositoryLocation { name repositories { name jobs { name } } }
          ... on PythonError { message stack errorChain { error { message stack } } }
        }
      }
    }
    ... on PythonError { message stack }
  }
}
"""

RUN_EVENTS_QUERY = """
query RunEvents($runId: ID!) {
  logsForRun(runId: $runId) {
    __typename
    ... on EventConnection { events { __typename ... on MessageEvent { message level } } }
    ... on Error { message }
  }
}
"""


class GraphQLError(RuntimeError):
    """The webserver answered with an error result."""


@dataclass(frozen=True)
class LocationEntry:
    name: str
    load_status: str
    typename: str | None
    jobs: dict[str, list[str]]  # repository name -> job names
    error: str | None

    @property
    def loaded(self) -> bool:
        return self.load_status == "LOADED" and self.typename == "RepositoryLocation"

    def job_names(self) -> set[str]:
        return {job for jobs in self.jobs.values() for job in jobs}


@dataclass
class DagsterGraphQL:
    """Load locations and run jobs through the webserver: DagsterGraphQLClient where it has the call, else a query.

    A failed request raises dagster_ecs.webserver.WebserverError, chained to the client's error.
    """

    url: str
    diagnostics: Callable[[], str] = lambda: ""
    webserver: Webserver = field(init=False)

    def __post_init__(self) -> None:
        self.webserver = Webserver(self.url)

    def execute(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The `data` of a query the client has no method for."""
        return self.webserver.query(query, variables)

    def location_entries(self) -> dict[str, LocationEntry]:
        result = self.execute(WORKSPACE_QUERY)["workspaceOrError"]
        if result["__typename"] != "Workspace":
            raise GraphQLError(f"workspace failed to load: {result.get('message')}")
        entries = {}
        for raw in result["locationEntries"]:
            location = raw["locationOrLoadError"] or {}
            typename = location.get("__typename")
            jobs = {
                repository["name"]: [job["name"] for job in repository["jobs"]]
                for repository in location.get("repositories", [])
            }
            error = None
            if typename == "PythonError":
                # The chain holds the user's error: Dagster wraps it in DagsterUserCodeLoadError.
                chain = [location, *(link["error"] for link in location.get("errorChain") or [])]
                error = "\n".join(f"{e['message']}\n{''.join(e.get('stack') or [])}" for e in chain)
            entries[raw["name"]] = LocationEntry(raw["name"], raw["loadStatus"], typename, jobs, error)
        return entries

    def wait_locations_settled(self, names: Sequence[str], timeout: float) -> dict[str, LocationEntry]:
        """Wait until every named location has finished loading (successfully or with an error)."""
        deadline = time.monotonic() + timeout
        entries: dict[str, LocationEntry] = {}
        while time.monotonic() < deadline:
            try:
                entries = self.location_entries()
            except (GraphQLError, WebserverError):
                entries = {}
            settled = [n for n in names if n in entries and entries[n].load_status == "LOADED"]
            if len(settled) == len(names):
                return entries
            time.sleep(1)
        states = {name: (entry.load_status, entry.typename) for name, entry in entries.items()}
        raise TimeoutError(
            f"locations {list(names)} not loaded after {timeout:.0f}s; last seen {states}\n{self.diagnostics()}"
        )

    def launch_run(
        self, location: str, job: str, run_config: Mapping[str, Any] | None = None, repository: str = "__repository__"
    ) -> tuple[str, str]:
        """Launch `job`; returns (run id, status right after launch)."""
        run_id = self.webserver.call(
            lambda client: client.submit_job_execution(
                job, repository_location_name=location, repository_name=repository, run_config=dict(run_config or {})
            )
        )
        return run_id, self.run_status(run_id)

    def run_status(self, run_id: str) -> str:
        return self.webserver.call(lambda client: client.get_run_status(run_id)).value

    def wait_run_finished(self, run_id: str, timeout: float) -> tuple[str, list[str]]:
        """Poll until the run is terminal; returns (final status, every status seen in order)."""
        deadline = time.monotonic() + timeout
        seen: list[str] = []
        while time.monotonic() < deadline:
            status = self.run_status(run_id)
            if not seen or seen[-1] != status:
                seen.append(status)
            if status in TERMINAL_RUN_STATUSES:
                return status, seen
            time.sleep(0.5)
        raise TimeoutError(
            f"run {run_id} not finished after {timeout:.0f}s (statuses seen: {seen})\n"
            f"{self.run_messages(run_id)}\n{self.diagnostics()}"
        )

    def run_events(self, run_id: str) -> list[tuple[str, str]]:
        """The run's event log as (GraphQL event type, message) pairs, in order."""
        result = self.execute(RUN_EVENTS_QUERY, {"runId": run_id})["logsForRun"]
        if result["__typename"] != "EventConnection":
            raise GraphQLError(f"events of run {run_id}: {result.get('message')}")
        return [(event["__typename"], event.get("message") or "") for event in result["events"]]

    def run_messages(self, run_id: str) -> str:
        try:
            return "\n".join(f"{kind}: {message}" for kind, message in self.run_events(run_id))
        except (GraphQLError, WebserverError) as error:
            return f"(run events unavailable: {error})"
