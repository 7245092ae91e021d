"""Figures of the image and the compose run, from nothing: `uv run python -m benchmarks.image`.

Everything happens in a fresh podman cache of its own (deleted at the end unless --keep), so "cold" means cold:
no base image, no layers, no uv cache. Measured, in order:

- base stand-in: mmdebstrap + the relocated CPython 3.12 → python:3.12-slim (first run on a machine pays it);
- image cold: docker/Dockerfile with empty layer and uv caches (PyPI downloads included);
- image warm: the same build again, nothing changed;
- image after a code change: a copy of the build context with one line added to the package;
- image size;
- with --compose: the postgres and moto stand-ins, and `podman-compose up -d` until the webserver answers and
  every code location is loaded.
"""

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.podman import REPO_ROOT, PodmanHost, build_project_image, configure_podman, ensure_base_image

# What the .dockerignore lets into the context (copied for the code-change build).
CONTEXT_PATHS = ("pyproject.toml", "uv.lock", "README.md", "src", "docker", ".dockerignore")


def timed[T](label: str, figures: list[tuple[str, str]], action: Callable[[], T]) -> T:
    started = time.monotonic()
    result = action()
    figures.append((label, f"{time.monotonic() - started:.1f} s"))
    print(f"{label}: {figures[-1][1]}", flush=True)
    return result


def changed_context(directory: Path) -> Path:
    """A copy of the build context with one line added to the package (what a code change costs)."""
    directory.mkdir(parents=True)
    for name in CONTEXT_PATHS:
        source = REPO_ROOT / name
        target = directory / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    init = directory / "src" / "dagster_ecs" / "__init__.py"
    init.write_text(init.read_text() + f"\n# benchmark {time.time()}\n")
    return directory


def compose_figures(host: PodmanHost, image_id: str, work: Path, figures: list[tuple[str, str]]) -> None:
    from tests.support.compose import compose_project
    from tests.support.dagster_processes import DagsterGraphQL
    from tests.support.ports import free_port, http_ok, wait_until
    from tests.support.standin_images import ensure_moto, ensure_postgres

    timed("postgres:16 stand-in, cold", figures, lambda: ensure_postgres(host))
    timed("motoserver/moto stand-in, cold", figures, lambda: ensure_moto(host, "5.2.5"))
    tag = "localhost/dagster-ecs:benchmark"
    host.podman("tag", image_id, tag)
    overrides = {name: {"image": tag} for name in ("s3-bucket", "code-main", "code-analytics", "dagster", "daemon")}
    with compose_project(host, work, overrides, {"DAGSTER_PORT": str(free_port())}) as project:

        def up() -> None:
            project.compose("up", "--detach", "--no-build", "--no-deps")
            url = project.url("dagster", 3000)
            wait_until(lambda: http_ok(f"{url}/server_info"), 600, "webserver")
            DagsterGraphQL(url).wait_locations_settled(["main", "analytics"], 600)

        timed("compose up -d → webserver and both code locations ready", figures, up)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compose", action="store_true", help="also build the compose stand-ins and time `up`")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark's podman cache (path printed)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dagster-ecs-image-benchmark-"))
    host = configure_podman(work / "cache")
    figures: list[tuple[str, str]] = []
    try:
        timed("base stand-in (python:3.12-slim), first build", figures, lambda: ensure_base_image(host))
        image = timed("image build, cold (no layers, no uv cache)", figures, lambda: build_project_image(host))
        timed("image build, warm (nothing changed)", figures, lambda: build_project_image(host))
        context = changed_context(work / "context")
        timed(
            "image build after a code change",
            figures,
            lambda: build_project_image(host, tag="localhost/dagster-ecs:changed", context=context),
        )
        figures.append(("image size", f"{image.size_mb:.0f} MB"))
        if args.compose:
            compose_figures(host, image.id, work, figures)
    finally:
        if args.keep:
            print(f"podman cache kept at {host.cache_dir} (CONTAINERS_* variables: tests/support/podman.py)")
        else:
            host.podman("rm", "--all", "--force", check=False)
            host.podman("rmi", "--all", "--force", check=False)
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(host.run_dir, ignore_errors=True)
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"\nload average at the end (1/5/15 min): {' '.join(load)} on {os.cpu_count()} cores")
    print("\n| step | figure |\n|---|---|")
    for label, value in figures:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
