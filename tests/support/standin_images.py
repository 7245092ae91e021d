"""Local stand-ins for the public images the project names, built because no registry can be reached here.

- `python:3.12-slim` (the Dockerfile's default BASE_IMAGE): Debian of the host's release made by mmdebstrap,
  plus the CPython 3.12 the test suite itself runs on, relocated to /usr/local as in the official image.
  Debian's own Python is 3.11 (bookworm) or 3.13 (trixie), and the lock needs 3.12.
- `postgres:16` and `motoserver/moto:<version>` (docker-compose.yml): built on that base from
  tests/support/images/<name>/Containerfile.

Each image carries a label with the digest of its recipe; a changed recipe (this file, a Containerfile, the
Python version, the Debian sources) rebuilds it, an unchanged one is reused from the cache. docs/images.md
says how each differs from the official image.
"""

import hashlib
import inspect
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

from tests.support.podman import BUILD_TIMEOUT, PodmanError, PodmanHost, build_secret_args, forget_image

RECIPE_LABEL = "dagster-ecs.stand-in.recipe"
IMAGES_DIR = Path(__file__).resolve().parent / "images"
# What the official image's PATH and LANG are.
PATH = "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
# The runtime libraries python:3.12-slim installs, by Debian package name; the build fails if an extension
# module of the relocated interpreter still misses a library.
RUNTIME_PACKAGES = (
    "ca-certificates",
    "netbase",
    "tzdata",
    "libbz2-1.0",
    "libffi8",
    "libgdbm6",
    "libgdbm-compat4",
    "liblzma5",
    "libncursesw6",
    "libnsl2",
    "libreadline8",
    "libsqlite3-0",
    "libssl3",
    "libuuid1",
    "zlib1g",
)
# As Debian's official images: no documentation, manual pages or translations (copyright files stay).
DPKG_EXCLUDES = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/groff/*",
    "path-exclude=/usr/share/lintian/*",
    "path-exclude=/usr/share/linda/*",
    "path-exclude=/usr/share/locale/*",
)
# What the official image deletes from its Python: tests, IDLE, Tk (no Tk libraries in slim), static library.
_PYTHON_SKIP_DIRS = {"test", "tests", "idle_test", "idlelib", "tkinter", "turtledemo", "__pycache__"}
_PYTHON_BIN = ("python3.12", "pydoc3.12", "python3.12-config")


def ensure_python_base(host: PodmanHost, name: str) -> str:
    """`name` (python:3.12-slim) in the cache, built from the host's Debian release and Python if absent."""
    prefix = Path(sys.base_prefix)
    version = sysconfig.get_python_version()
    if version != "3.12":
        raise PodmanError(f"the base image stand-in copies the running Python, which is {version}, not 3.12")
    suite, sources = host_debian_release()
    recipe = _digest(_base_recipe_source(), suite.encode(), sources, sys.version.encode())
    with host.lock("base"):
        if host.image_labels(name).get(RECIPE_LABEL) == recipe:
            return name
        previous = _image_id(host, name)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=host.tmp_dir, prefix="base-") as work:
            staged = Path(work) / "python"
            stage_python(prefix, staged)
            sources_file = Path(work) / "debian.sources"
            sources_file.write_bytes(sources)
            rootfs = Path(work) / "rootfs.tar"
            _mmdebstrap(suite, sources_file, staged, rootfs)
            changes = [
                f"ENV PATH={PATH}",
                "ENV LANG=C.UTF-8",
                f"ENV PYTHON_VERSION={sys.version.split()[0]}",
                'CMD ["python3"]',
                f"LABEL {RECIPE_LABEL}={recipe}",
                "LABEL org.opencontainers.image.description=local stand-in for python:3.12-slim (docs/images.md)",
            ]
            args = ["import"]
            for change in changes:
                args += ["--change", change]
            host.podman(*args, str(rootfs), name, timeout=BUILD_TIMEOUT)
        print(f"built {name} stand-in in {time.monotonic() - started:.0f}s")
        if previous:
            forget_image(host, previous)
    return name


def _image_id(host: PodmanHost, name: str) -> str | None:
    result = host.podman("image", "inspect", "--format", "{{.Id}}", name, check=False)
    return result.stdout.strip() or None


def ensure_containerfile_image(host: PodmanHost, name: str, recipe_dir: str, build_args: dict[str, str]) -> str:
    """`name` built from tests/support/images/`recipe_dir` on the base stand-in, unless already current."""
    from tests.support.podman import BASE_IMAGE, ensure_base_image

    ensure_base_image(host)
    directory = IMAGES_DIR / recipe_dir
    base_id = host.podman("image", "inspect", "--format", "{{.Id}}", BASE_IMAGE).stdout.strip()
    parts = [base_id.encode(), repr(sorted(build_args.items())).encode()]
    parts += [path.read_bytes() for path in sorted(directory.rglob("*")) if path.is_file()]
    recipe = _digest(*parts)
    with host.lock(f"standin-{recipe_dir}"):
        if host.image_labels(name).get(RECIPE_LABEL) == recipe:
            return name
        previous = _image_id(host, name)
        args = ["build", "--isolation", "chroot", "--pull=never", "--network", "host", "--layers", "--format", "docker"]
        args += ["--tag", name, "--label", f"{RECIPE_LABEL}={recipe}", *build_secret_args()]
        for key, value in build_args.items():
            args += ["--build-arg", f"{key}={value}"]
        host.podman(*args, str(directory), timeout=BUILD_TIMEOUT)
        if previous:
            forget_image(host, previous)
    return name


def host_debian_release() -> tuple[str, bytes]:
    """The host's Debian suite and its Debian apt sources: the relocated Python links against those libraries."""
    release = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines() if "=" in line)
    if release.get("ID") != "debian" or not release.get("VERSION_CODENAME"):
        raise PodmanError("the base image stand-in needs a Debian host (it reuses the host's Python and libraries)")
    suite = release["VERSION_CODENAME"].strip('"')
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    if deb822.is_file():
        return suite, deb822.read_bytes()
    lines = [
        line
        for line in Path("/etc/apt/sources.list").read_text().splitlines()
        if line.startswith("deb ") and "debian" in line
    ]
    if not lines:
        raise PodmanError("no Debian mirror in /etc/apt/sources.list(.d/debian.sources) for mmdebstrap")
    return suite, ("\n".join(lines) + "\n").encode()


def stage_python(prefix: Path, target: Path) -> None:
    """Copy the interpreter at `prefix` into `target`, laid out for /usr/local as the official image has it."""
    old = str(prefix).encode()
    (target / "bin").mkdir(parents=True)
    for name in _PYTHON_BIN:
        source = prefix / "bin" / name
        if source.exists():
            _copy_relocated(source, target / "bin" / name, old)
    for link, points_to in (
        ("python3", "python3.12"),
        ("python", "python3"),
        ("pydoc3", "pydoc3.12"),
        ("pydoc", "pydoc3"),
        ("python3-config", "python3.12-config"),
    ):
        if (target / "bin" / points_to).exists():
            (target / "bin" / link).symlink_to(points_to)
    (target / "lib").mkdir()
    for library in (prefix / "lib").glob("libpython3*.so*"):
        shutil.copy2(library, target / "lib" / library.name, follow_symlinks=False)
    _copy_tree(prefix / "lib" / "python3.12", target / "lib" / "python3.12", old)
    _copy_tree(prefix / "include", target / "include", old)
    _copy_tree(prefix / "lib" / "pkgconfig", target / "lib" / "pkgconfig", old)
    _strip_binaries(target)


def _strip_binaries(target: Path) -> None:
    """Drop debug symbols, as the official image's `--strip-all` build does (libpython: 30 MB → 5 MB)."""
    strip = shutil.which("strip")
    if strip is None:
        raise PodmanError("strip (binutils) is needed to build the base image stand-in: apt-get install binutils")
    elves = [path for path in target.rglob("*") if path.is_file() and not path.is_symlink() and _is_elf(path)]
    subprocess.run([strip, "--strip-unneeded", *map(str, elves)], check=True, capture_output=True, timeout=300)


def _is_elf(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(4) == b"\x7fELF"


def _copy_tree(source: Path, target: Path, old_prefix: bytes) -> None:
    for directory, subdirs, files in os.walk(source):
        here = Path(directory)
        relative = here.relative_to(source)
        subdirs[:] = [name for name in subdirs if name not in _PYTHON_SKIP_DIRS]
        if relative == Path("site-packages"):
            # Nothing installed into the host's Python comes along (tools, .pth start-up hooks, and a pip whose
            # vendored CA bundle this machine has appended its proxy's CA to): pip is installed afresh from
            # the wheel that ships inside the standard library (ensurepip), as the official image does.
            subdirs[:] = []
            files = []
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            if name.endswith((".pyc", ".a")) or name.startswith("_tkinter"):
                continue
            _copy_relocated(here / name, target / relative / name, old_prefix)


def _copy_relocated(source: Path, target: Path, old_prefix: bytes) -> None:
    """Copy a file; text files (scripts, sysconfig data, Makefile, .pc) get the prefix rewritten."""
    data = source.read_bytes()
    if old_prefix in data and b"\0" not in data:
        target.write_bytes(data.replace(old_prefix, b"/usr/local"))
        shutil.copymode(source, target)
    else:
        shutil.copy2(source, target)


def _mmdebstrap(suite: str, sources: Path, staged_python: Path, output: Path) -> None:
    # Every extension module must import: a missing Debian library fails the build here, not in a test.
    check = (
        "import importlib, pathlib, sysconfig; "
        "d = pathlib.Path(sysconfig.get_path('platstdlib')) / 'lib-dynload'; "
        "[importlib.import_module(p.name.split('.')[0]) for p in sorted(d.glob('*.so'))]; "
        "import ssl; ssl.create_default_context()"
    )
    command = [
        "mmdebstrap",
        "--variant=minbase",
        "--mode=root",
        "--format=tar",
        f"--include={','.join(RUNTIME_PACKAGES)}",
        # merged /usr without the usrmerge package, which would pull in perl.
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
        *[f"--dpkgopt={option}" for option in DPKG_EXCLUDES],
        f"--customize-hook=sync-in {staged_python} /usr/local",
        '--customize-hook=chroot "$1" ldconfig',
        '--customize-hook=chroot "$1" /usr/local/bin/python3 -m ensurepip --default-pip',
        '--customize-hook=find "$1/usr/local" -depth -name __pycache__ -type d -exec rm -rf {} +',
        f'--customize-hook=chroot "$1" /usr/local/bin/python3 -c "{check}"',
        suite,
        str(output),
        str(sources),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False)
    if result.returncode != 0:
        raise PodmanError(f"mmdebstrap failed (exit {result.returncode}):\n{result.stderr[-4000:]}")


def _base_recipe_source() -> bytes:
    """The code and settings that make the base image: a change to any of them rebuilds it, nothing else does."""
    functions = (ensure_python_base, stage_python, _copy_tree, _copy_relocated, _strip_binaries, _mmdebstrap)
    settings = repr((PATH, RUNTIME_PACKAGES, DPKG_EXCLUDES, sorted(_PYTHON_SKIP_DIRS), _PYTHON_BIN))
    return "\n".join([settings, *(inspect.getsource(function) for function in functions)]).encode()


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:32]


def ensure_postgres(host: PodmanHost, name: str = "docker.io/library/postgres:16") -> str:
    """The stand-in for postgres:16 (Debian bookworm's PostgreSQL 15: Debian has no 16; docs/images.md)."""
    return ensure_containerfile_image(host, name, "postgres", {})


def ensure_moto(host: PodmanHost, version: str) -> str:
    """The stand-in for motoserver/moto:`version`, moto[server] of that version from PyPI."""
    return ensure_containerfile_image(host, f"docker.io/motoserver/moto:{version}", "moto", {"MOTO_VERSION": version})
