"""Compute logs stored per code location: `<prefix>/<code location>/storage/<log key>.out|.err[.partial]`.

dagster-aws's S3ComputeLogManager (0.29.27) stores every log at `<prefix>/storage/<log key>`, the same for all
code locations, so a repository task role limited to `compute_logs/<repo>/*` cannot write them and a wider
grant would let one repository overwrite another's logs. This manager puts the code location (= repository
name) after the prefix. The location is derived from the log key and the instance's storage, so the process
writing (a run task or a code server, with its repository's role) and the webserver reading (the dagster role,
which may read all of `compute_logs/*`) compute the same key:

- Run logs, `[run id, "compute_logs", file key]` (ComputeLogManager.build_log_key_for_run, used by the run
  worker in dagster/_core/execution/plan/execute_plan.py and by dagster_graphql's Run.capturedLogs): the run's
  `remote_job_origin` location, which the webserver and daemon record when they create the run.
- Sensor and schedule tick logs, `[repository name, instigator name, tick id]` (dagster/_daemon/sensor.py,
  dagster/_scheduler/scheduler.py): written by the code server evaluating the tick (InstigationLogger opens
  `open_log_stream` on the instance built from the daemon's instance ref, so with the repository's role);
  the tick's instigator state names the location. Every Definitions-based location has the repository name
  `__repository__`, so the key alone cannot tell two locations' ticks apart.
- Anything else has no code location: backfill logs (written by the daemon only when
  `backfill_log_storage_enabled`, which is False in open-source Dagster) and runs not launched from a code
  location (`execute_job` in a script). Capturing them fails with UnattributedLogsError, which the run worker
  reports as an engine event ("Exception while setting up compute log capture") and the run goes on without
  captured logs; reading them finds none. No role may write outside `compute_logs/<repo>/*`, so the dagster
  role needs no write grant.

What this relies on: the run and tick records are in the PostgreSQL database every Dagster process shares, so
the webserver shows, for a run, the logs under the location its record names. IAM keeps each repository's
writes inside its own prefix (a run of `main` cannot overwrite `analytics`' logs), but code that can write the
database could re-point another location's run record at its own prefix and so change what the UI shows for
that run; database writes are not isolated per repository (one Dagster login for all).
"""

import threading
from collections import OrderedDict
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from dagster import _check as check
from dagster._core.errors import DagsterError
from dagster._core.storage.compute_log_manager import CapturedLogContext, ComputeIOType
from dagster._core.storage.local_compute_log_manager import IO_TYPE_EXTENSION
from dagster_aws.s3.compute_log_manager import S3ComputeLogManager

from dagster_ecs.names import validate_repository_name

# dagster's build_log_key_for_run puts this between the run id and the file key.
RUN_LOG_NAMESPACE = "compute_logs"
# Run ids and tick ids never change their location; the cache only saves a database read per log request.
_CACHE_SIZE = 4096


class UnattributedLogsError(DagsterError):
    """A log key that belongs to no code location: there is no prefix any role may write it under."""


class CodeLocationS3ComputeLogManager(S3ComputeLogManager):
    """S3ComputeLogManager storing each run's and tick's logs under `<prefix>/<code location>/storage/...`.

    Same configuration as S3ComputeLogManager (bucket, prefix, region, upload_interval, ...); dagster.yaml
    names it as module `dagster_ecs.compute_logs`, class `CodeLocationS3ComputeLogManager`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._locations: OrderedDict[tuple[str, ...], str | None] = OrderedDict()
        self._locations_lock = threading.Lock()

    def location_of(self, log_key: Sequence[str]) -> str | None:
        """The code location a log key (or a log key prefix starting with a run id) belongs to, if any."""
        cache_key = _cache_key(log_key)
        if cache_key is None:
            return None
        with self._locations_lock:
            if cache_key in self._locations:
                self._locations.move_to_end(cache_key)
                return self._locations[cache_key]
        location = self._lookup_location(cache_key)
        if location is not None:
            # Only found locations are cached: a run's or tick's record may not be written yet.
            with self._locations_lock:
                self._locations[cache_key] = location
                while len(self._locations) > _CACHE_SIZE:
                    self._locations.popitem(last=False)
        return location

    def _lookup_location(self, cache_key: tuple[str, ...]) -> str | None:
        if not self.has_instance:
            return None
        instance = self._instance
        name: str | None = None
        if cache_key[0] == "run":
            run = instance.get_run_by_id(cache_key[1])
            if run is not None and run.remote_job_origin is not None:
                name = run.remote_job_origin.location_name
        else:
            _, instigator_name, tick_id = cache_key
            storage = instance.schedule_storage
            if storage is None:
                return None
            try:
                tick = storage.get_tick(int(tick_id))
            except Exception:  # a missing tick raises DagsterInvariantViolationError
                return None
            if tick.instigator_name != instigator_name or tick.selector_id is None:
                return None
            state = instance.get_instigator_state(tick.instigator_origin_id, tick.selector_id)
            if state is not None:
                name = state.origin.repository_origin.code_location_origin.location_name
        # The name becomes a key segment: only a valid repository name (no "/", "..", upper case) is used.
        try:
            return validate_repository_name(name) if name is not None else None
        except ValueError:
            return None

    def _location_path(self, log_key: Sequence[str]) -> str:
        location = self.location_of(log_key)
        if location is None:
            raise UnattributedLogsError(
                f"compute logs {list(log_key)!r} belong to no code location (not a run launched from a code "
                "location, nor a sensor or schedule tick): they are not stored, since every role may write "
                f"compute logs only under {self._s3_prefix}/<code location>/"
            )
        return location

    def _s3_key(self, log_key: Sequence[str], io_type: ComputeIOType, partial: bool = False) -> str:
        check.inst_param(io_type, "io_type", ComputeIOType)
        [*namespace, filebase] = log_key
        filename = f"{filebase}.{IO_TYPE_EXTENSION[io_type]}"
        if partial:
            filename = f"{filename}.partial"
        return "/".join([self._s3_prefix, self._location_path(log_key), "storage", *namespace, filename])

    def _resolve_path_for_namespace(self, namespace: Sequence[str]) -> list[str]:
        # Prefix operations (listing, deleting) of a run: [run id] or [run id, "compute_logs"].
        return [self._s3_prefix, self._location_path(namespace), "storage", *namespace]

    @contextmanager
    def capture_logs(self, log_key: Sequence[str]) -> Generator[CapturedLogContext]:
        # Fail before capturing, where the run worker reports it as an engine event and runs on.
        self._location_path(log_key)
        with super().capture_logs(log_key) as context:
            yield context

    @contextmanager
    def open_log_stream(self, log_key: Sequence[str], io_type: ComputeIOType) -> Generator[IO | None]:
        self._location_path(log_key)
        with super().open_log_stream(log_key, io_type) as stream:
            yield stream

    def cloud_storage_has_logs(self, log_key: Sequence[str], io_type: ComputeIOType, partial: bool = False) -> bool:
        if self.location_of(log_key) is None:
            return False
        return super().cloud_storage_has_logs(log_key, io_type, partial=partial)

    def get_log_keys_for_log_key_prefix(
        self, log_key_prefix: Sequence[str], io_type: ComputeIOType
    ) -> Sequence[list[str]]:
        if self.location_of(log_key_prefix) is None:
            return []
        return super().get_log_keys_for_log_key_prefix(log_key_prefix, io_type)

    def delete_logs(self, log_key: Sequence[str] | None = None, prefix: Sequence[str] | None = None) -> None:
        key = log_key or prefix
        if key and self.location_of(key) is None:
            # Nothing of it can be in S3; only local staging files may exist.
            self.local_manager.delete_logs(log_key=log_key, prefix=prefix)
            return
        super().delete_logs(log_key=log_key, prefix=prefix)


def _cache_key(log_key: Sequence[str]) -> tuple[str, ...] | None:
    """("run", run id) or ("tick", instigator name, tick id) for the log key shapes Dagster writes."""
    parts = list(log_key)
    if len(parts) == 3 and parts[2].isdigit() and parts[1] != RUN_LOG_NAMESPACE:
        return ("tick", parts[1], parts[2])
    if parts and (len(parts) == 1 or parts[1] == RUN_LOG_NAMESPACE):
        return ("run", parts[0])
    return None
