"""Publish a generated DAG repository (1,000 files, about 20 MB) and compare with a full copy and rsync.

    uv run python -m benchmarks.publish [--files 1000] [--megabytes 20] [--repeat 5] [--live-repeat 3] [--no-live]

Measured, each the median of `--repeat` runs into a local target directory:
- first publish (into an empty target), no-op publish, one-file change; in this process (build the manifest
  + apply), hashing every file or with a warm hash cache, and as the command line (`python -m
  dagster_ecs.publish publish --no-preflight`, a new interpreter each time like rsync, hash cache on);
- a full copy (`shutil.copytree`; and the same followed by an fsync of every file and directory, which a
  crash-safe full release would need), a full `rsync -a` into an empty directory, and the one-file change as
  `rsync -a` onto an up-to-date copy;
- live: with a webserver and a code server serving the published `current` (PostgreSQL storage, as the e2e
  test), the time from the start of a publish (preflight, apply) to the new asset listed by the webserver
  after `reload_location`.
Targets (issue 4): one-file change within 2x of rsync, at least 10x faster than a full copy, live under 5 s.
"""

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dagster_ecs.publish.blobs import DirectoryBlobs
from dagster_ecs.publish.hash_cache import CACHE_ENV, RACY_SECONDS, HashCache
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.preflight import preflight
from dagster_ecs.publish.release import ApplyResult, apply_release
from dagster_ecs.publish.reload import reload_location

REPOSITORY = "bench"
DAG_MODULES = 5
HELPER_MODULES = 150
CHANGED_DATA_FILE = "data/group_00/part_0000.csv"
LIVE_DAG_FILE = "dag_00.py"
RSYNC = shutil.which("rsync") or "/usr/bin/rsync"


@dataclass
class Row:
    name: str
    seconds: list[float]
    cpu: list[float] = field(default_factory=list)  # CPU seconds the step took, where measured

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


# --- the generated repository --------------------------------------------------------------------------------


def dag_module(index: int, extra_assets: int = 0) -> str:
    names = [f"dag_{index:02d}_asset_{n}" for n in range(3 + extra_assets)]
    assets = "\n\n".join(
        f"@asset(key_prefix=['repos', 'bench'], group_name='dag_{index:02d}')\n"
        f"def {name}() -> int:\n    return helper_{index:03d}.compute({n})\n"
        for n, name in enumerate(names)
    )
    return (
        "from dagster import asset, define_asset_job\n"
        "from dagster_ecs import get_repository_resources\n\n"
        f"from .lib import helper_{index:03d}\n\n\n{assets}\n\n"
        f"defs = get_repository_resources(repository_name='bench', assets=[{', '.join(names)}], "
        f"jobs=[define_asset_job('dag_{index:02d}_job', selection=[{', '.join(names)}])])\n"
    )


def helper_module(index: int) -> str:
    functions = "\n\n".join(f"def f_{n}(x: int) -> int:\n    return x * {n} + {index}\n" for n in range(40))
    return f'"""Helper {index}."""\n\n\ndef compute(x: int) -> int:\n    return x + {index}\n\n\n{functions}'


def generate(source: Path, files: int, megabytes: int) -> tuple[int, int]:
    """A valid Dagster repository: DAG modules, a helper package and data files; returns (files, bytes)."""
    rng = random.Random(4)  # noqa: S311 - file contents, not secrets
    source.mkdir(parents=True)
    (source / "lib").mkdir()
    (source / "lib" / "__init__.py").write_text("")
    for index in range(DAG_MODULES):
        (source / f"dag_{index:02d}.py").write_text(dag_module(index))
    for index in range(HELPER_MODULES):
        (source / "lib" / f"helper_{index:03d}.py").write_text(helper_module(index))
    written = 1 + DAG_MODULES + HELPER_MODULES
    data_files = files - written
    code_bytes = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    per_file = max((megabytes * 1024 * 1024 - code_bytes) // data_files, 1)
    for index in range(data_files):
        path = source / "data" / f"group_{index // 50:02d}" / f"part_{index:04d}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        row = f"{index},{rng.random():.12f},{rng.randrange(10**9)}\n"
        path.write_text((row * (per_file // len(row) + 1))[:per_file])
    paths = [p for p in source.rglob("*") if p.is_file()]
    return len(paths), sum(p.stat().st_size for p in paths)


def change_one_file(source: Path, round_number: int) -> None:
    path = source / CHANGED_DATA_FILE
    data = bytearray(path.read_bytes())
    data[:12] = f"{round_number:012d}".encode()
    path.write_bytes(bytes(data))


# --- measurements --------------------------------------------------------------------------------------------


@contextmanager
def timing(row: Row) -> Generator[None]:
    """Wall time, and CPU time of this process and the processes it waited for (rsync, the CLI)."""
    started, cpu = time.perf_counter(), time.process_time() + _children_cpu()
    yield
    row.seconds.append(time.perf_counter() - started)
    row.cpu.append(time.process_time() + _children_cpu() - cpu)


def publish_in_process(source: Path, target: Path, cache: Path | None = None) -> ApplyResult:
    manifest = build_manifest(source, cache=None if cache is None else HashCache(source, cache))
    return apply_release(target, manifest, DirectoryBlobs(source))


def publish_command(source: Path, target: Path, cache: Path) -> None:
    command = [sys.executable, "-m", "dagster_ecs.publish", "publish", str(source), str(target)]
    env = {**os.environ, CACHE_ENV: str(cache)}
    subprocess.run([*command, "--repository", REPOSITORY, "--no-preflight"], check=True, capture_output=True, env=env)


def rsync(source: Path, destination: Path) -> None:
    subprocess.run([RSYNC, "-a", f"{source}/", f"{destination}/"], check=True)


def durable_copy(source: Path, destination: Path) -> None:
    """A full copy that survives a crash as a release must: copytree, then fsync every file and directory."""
    shutil.copytree(source, destination)
    for directory, _, files in os.walk(destination):
        for name in [*files, "."]:
            fd = os.open(os.path.join(directory, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def measure_files(work: Path, source: Path, repeat: int) -> list[Row]:
    names = ("first", "noop", "one", "noop-cached", "one-cached", "first-cli", "noop-cli", "one-cli")
    rows = {name: Row(name, []) for name in names}
    copies = {name: Row(name, []) for name in ("copytree", "durable-copy", "rsync-full", "rsync-one")}
    mirror, cache = work / "mirror", work / "hash-cache"
    rsync(source, mirror)
    # As on a developer's machine: the tree was written a while ago and the cache is warm from an earlier publish.
    time.sleep(RACY_SECONDS + 0.5)
    build_manifest(source, cache=HashCache(source, cache))
    round_number = 0

    def one_file_changed() -> None:
        nonlocal round_number
        round_number += 1
        change_one_file(source, round_number)

    for attempt in range(repeat):
        target, cached, cli = (work / f"{kind}-{attempt}" / REPOSITORY for kind in ("target", "cached", "cli"))
        with timing(rows["first"]):
            publish_in_process(source, target)
        with timing(rows["noop"]):
            publish_in_process(source, target)
        one_file_changed()
        with timing(rows["one"]):
            result = publish_in_process(source, target)
        if result.transferred != (CHANGED_DATA_FILE,):
            raise RuntimeError(f"the one-file change transferred {result.transferred}")

        publish_in_process(source, cached, cache)
        with timing(rows["noop-cached"]):
            publish_in_process(source, cached, cache)
        one_file_changed()
        with timing(rows["one-cached"]):
            result = publish_in_process(source, cached, cache)
        if result.transferred != (CHANGED_DATA_FILE,):
            raise RuntimeError(f"the one-file change (cached) transferred {result.transferred}")

        with timing(rows["first-cli"]):
            publish_command(source, cli, cache)
        with timing(rows["noop-cli"]):
            publish_command(source, cli, cache)
        one_file_changed()
        with timing(rows["one-cli"]):
            publish_command(source, cli, cache)

        copy, durable, full = (work / f"{kind}-{attempt}" for kind in ("copy", "durable", "rsync"))
        with timing(copies["copytree"]):
            shutil.copytree(source, copy)
        with timing(copies["durable-copy"]):
            durable_copy(source, durable)
        with timing(copies["rsync-full"]):
            rsync(source, full)
        one_file_changed()
        with timing(copies["rsync-one"]):
            rsync(source, mirror)
        for leftover in (copy, durable, full, target.parent, cached.parent, cli.parent):
            shutil.rmtree(leftover)
    return [*rows.values(), *copies.values()]


def measure_live(work: Path, source: Path, repeat: int) -> list[Row]:
    """Publish start to new asset listed, with a real webserver and code server on the published `current`."""
    from tests.support.live_dagster import serving
    from tests.support.postgres import running_postgres

    dags = work / "dags"
    target = dags / REPOSITORY
    publish_in_process(source, target)
    phases = {name: Row(name, []) for name in ("preflight", "apply", "reload", "live")}
    with running_postgres() as postgres, serving(work / "live", REPOSITORY, dags, postgres.dagster_env()) as live:
        live.graphql.wait_locations_settled([REPOSITORY], 300)
        servers = (live.code_server.pid, live.webserver.pid)
        for attempt in range(repeat):
            (source / LIVE_DAG_FILE).write_text(dag_module(0, extra_assets=attempt + 1))
            new_asset = f"repos/bench/dag_00_asset_{3 + attempt}"
            children_cpu = _children_cpu()
            started = time.perf_counter()
            loaded = preflight(source, REPOSITORY)
            checked = time.perf_counter()
            preflight_cpu = _children_cpu() - children_cpu
            process_cpu = time.process_time()
            publish_in_process(source, target)
            applied = time.perf_counter()
            apply_cpu = time.process_time() - process_cpu
            server_cpu = _servers_cpu(servers)
            reload_location(live.webserver.url, REPOSITORY, expected=loaded, timeout=300)
            visible = time.perf_counter()
            reload_cpu = _servers_cpu(servers) - server_cpu
            if new_asset not in live.asset_keys(REPOSITORY):
                raise RuntimeError(f"{new_asset} is not listed after the reload")
            for name, seconds, cpu in (
                ("preflight", checked - started, preflight_cpu),
                ("apply", applied - checked, apply_cpu),
                ("reload", visible - applied, reload_cpu),
                ("live", visible - started, preflight_cpu + apply_cpu + reload_cpu),
            ):
                phases[name].seconds.append(seconds)
                phases[name].cpu.append(cpu)
    return list(phases.values())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _servers_cpu(roots: tuple[int, ...]) -> float:
    """CPU seconds used so far by the code server and webserver and their children (finished ones included).

    The machine may be busy with other work: CPU time says what a reload costs when it has the CPU to itself.
    """
    from tests.support.dagster_processes import live_family

    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for root in roots:
        for pid in live_family(root):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            total += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return total / ticks


# --- report --------------------------------------------------------------------------------------------------

LABELS = {
    "first": "first publish (library: hash every file + apply)",
    "noop": "no-op publish (library, hash every file)",
    "one": "one-file change (library, hash every file)",
    "noop-cached": "no-op publish (library, warm hash cache)",
    "one-cached": "one-file change (library, warm hash cache)",
    "first-cli": "first publish (CLI, --no-preflight)",
    "noop-cli": "no-op publish (CLI, --no-preflight, warm hash cache)",
    "one-cli": "one-file change (CLI, --no-preflight, warm hash cache)",
    "copytree": "full copy (shutil.copytree)",
    "durable-copy": "full copy + fsync of every file and directory",
    "rsync-full": "rsync -a into an empty directory",
    "rsync-one": "rsync -a, one-file change onto an up-to-date copy",
    "preflight": "live: preflight (separate process)",
    "apply": "live: manifest + apply",
    "reload": "live: reload_location until the new asset is served",
    "live": "live: publish start to new asset visible",
}


def report(rows: list[Row]) -> str:
    lines = [
        "| measurement | median (ms) | min (ms) | max (ms) | runs | CPU, median (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ms = [s * 1000 for s in row.seconds]
        cpu = f"{statistics.median(row.cpu) * 1000:.0f}" if row.cpu else ""
        lines.append(
            f"| {LABELS[row.name]} | {statistics.median(ms):.1f} | {min(ms):.1f} | {max(ms):.1f} | {len(ms)} | {cpu} |"
        )
    by_name = {row.name: row.median for row in rows}
    cpu = {row.name: statistics.median(row.cpu) for row in rows if row.cpu}
    lines.append("")
    for mode, one in (("library", "one"), ("library, cache", "one-cached"), ("CLI", "one-cli")):
        lines.append(
            f"- one-file change ({mode}): {by_name[one] / by_name['rsync-one']:.2f}x rsync's wall time "
            f"({cpu[one] / cpu['rsync-one']:.2f}x its CPU; target <= 2x); full copy "
            f"{by_name['copytree'] / by_name[one]:.1f}x and durable full copy "
            f"{by_name['durable-copy'] / by_name[one]:.1f}x slower than it (target >= 10x)"
        )
    if "live" in by_name:
        live_cpu = statistics.median(next(row for row in rows if row.name == "live").cpu)
        lines.append(
            f"- publish start to new asset visible: {by_name['live']:.2f} s wall, {live_cpu:.2f} s of CPU "
            "(target < 5 s)"
        )
    return "\n".join(lines)


def machine() -> str:
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, load average {load}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--live-repeat", type=int, default=3)
    parser.add_argument("--no-live", action="store_true", help="skip the webserver + code server measurement")
    args = parser.parse_args(argv)
    if not Path(RSYNC).exists():
        raise SystemExit("rsync is not installed")
    print(f"machine: {machine()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="dagster-ecs-publish-bench-") as tmp:
        work = Path(tmp)
        source = work / "source" / REPOSITORY
        count, size = generate(source, args.files, args.megabytes)
        print(f"repository: {count} files, {size / 1024 / 1024:.1f} MiB", flush=True)
        rows = measure_files(work, source, args.repeat)
        if not args.no_live:
            rows += measure_live(work, source, args.live_repeat)
    print(report(rows))
    print(f"\nmachine at the end: {machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
