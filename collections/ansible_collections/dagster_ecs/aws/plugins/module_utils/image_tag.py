# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The image's content tag: what an image built from a checkout is named, computed from what the build can see.

tag = <12 hex of the last commit that changed the build inputs>-<16 hex of the inputs digest>[-dirty]

- The digest covers the build context exactly as a builder receives it (every file the context's .dockerignore
  lets through, with Docker's matching rules), the Dockerfile, the .dockerignore and the build arguments. Each
  file counts by path, content and executable bit (what git records), never by mtime, owner or umask, so every
  clone of a commit gives the same digest.
- The commit is the last one that touched the Dockerfile, the .dockerignore or a top-level path the context
  sends: a commit that changes only DAGs or roles keeps the tag, so no image is rebuilt for it.
- "dirty" means the context differs from what a fresh clone of HEAD would send (modified, untracked or
  git-ignored files that the .dockerignore lets through). The digest still names the content, so a dirty tag
  never names two different images either.

Plain Python (standard library and the git CLI), no Ansible imports: the unit tests and the module share it.
"""

import hashlib
import json
import os
import re
import stat
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

IGNORE_FILE = ".dockerignore"
# Files some builders read instead of .dockerignore; the digest would not describe their context.
OTHER_IGNORE_FILES = (".containerignore",)
DIGEST_VERSION = "dagster-ecs image inputs v1"
COMMIT_LENGTH = 12
DIGEST_LENGTH = 16
# The platforms an image is built for (`--platform`), by the tag part that names their architecture.
PLATFORMS = {"linux/amd64": "amd64", "linux/arm64": "arm64"}


class ImageTagError(Exception):
    """The tag cannot be computed; the message says what to do."""


@dataclass(frozen=True)
class Entry:
    """One path of the build context as it counts for the digest: a file (content, executable) or a symlink."""

    kind: str  # "file" or "link"
    digest: str  # sha256 of a file's content; a link's target
    executable: bool = False


@dataclass(frozen=True)
class ContentTag:
    tag: str
    digest: str
    commit: str
    dirty: bool
    files: tuple[str, ...]
    dirty_paths: tuple[str, ...]
    # The checkout is a shallow clone cut before the inputs last changed: another clone may name another commit.
    shallow: bool = False


# ---------------------------------------------------------------------------------------------- .dockerignore


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    negated: bool
    literal_prefix: tuple[str, ...]  # leading path components without any glob character


_GLOB = re.compile(r"[*?\[\\]")
# Characters Go's regexp would read as operators; `^` stays, it negates a character class as in filepath.Match.
_ESCAPE = set(".+()|{}$")


def _clean(path: str) -> str:
    """Go's filepath.Clean for slash paths, which Docker applies to every pattern."""
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


def _translate(pattern: str) -> str:
    """A .dockerignore pattern as a regular expression (moby/patternmatcher's translation)."""
    out = "^"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 2
                if i < len(pattern) and pattern[i] == "/":
                    i += 1
                out += ".*" if i >= len(pattern) else "(.*/)?"
                continue
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\":
            if i + 1 < len(pattern):
                i += 1
                out += re.escape(pattern[i])
            else:
                out += "\\\\"
        elif ch in "[]":
            out += ch
        elif ch in _ESCAPE:
            out += "\\" + ch
        else:
            out += ch
        i += 1
    return out + "$"


class DockerIgnore:
    """Docker's .dockerignore rules: patterns relative to the context root, a pattern that matches a directory
    excludes everything under it, `**` spans directories, `!` re-includes, the last matching pattern wins."""

    def __init__(self, text: str = "") -> None:
        self.patterns: list[_Pattern] = []
        for number, raw in enumerate(text.splitlines()):
            line = raw.lstrip("\ufeff") if number == 0 else raw
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            if negated:
                line = line[1:].strip()
            line = _clean(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
            if not line:
                continue
            try:
                regex = re.compile(_translate(line))
            except re.error as error:
                raise ImageTagError(f"{IGNORE_FILE}: invalid pattern {raw.strip()!r}: {error}") from error
            prefix: list[str] = []
            for part in line.split("/"):
                if _GLOB.search(part):
                    break
                prefix.append(part)
            self.patterns.append(_Pattern(regex, negated, tuple(prefix)))

    def excluded(self, path: str) -> bool:
        """Whether `path` (relative, with slashes) stays out of the build context."""
        parents = path.split("/")[:-1]
        prefixes = ["/".join(parents[: i + 1]) for i in range(len(parents))]
        matched = False
        for pattern in self.patterns:
            if pattern.negated != matched:
                continue
            hit = bool(pattern.regex.match(path)) or any(pattern.regex.match(p) for p in prefixes)
            if hit:
                matched = not pattern.negated
        return matched

    def may_include_under(self, directory: str) -> bool:
        """Whether a `!` pattern could re-include something under an excluded `directory` (else skip walking it)."""
        parts = tuple(directory.split("/"))
        for pattern in self.patterns:
            if not pattern.negated:
                continue
            prefix = pattern.literal_prefix
            shorter = min(len(prefix), len(parts))
            if prefix[:shorter] == parts[:shorter]:
                return True
        return False


# ---------------------------------------------------------------------------------------------- the inputs


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def working_tree_entries(context: Path, ignore: DockerIgnore) -> dict[str, Entry]:
    """The files and symlinks of `context` a builder would receive, keyed by relative path."""
    entries: dict[str, Entry] = {}

    def walk(directory: Path, relative: str) -> Iterator[tuple[str, Path]]:
        with os.scandir(directory) as scan:
            children = sorted(scan, key=lambda child: child.name)
        for child in children:
            path = f"{relative}/{child.name}" if relative else child.name
            if child.is_dir(follow_symlinks=False):
                if ignore.excluded(path) and not ignore.may_include_under(path):
                    continue
                yield from walk(Path(child.path), path)
            elif not ignore.excluded(path):
                yield path, Path(child.path)

    for path, absolute in walk(context, ""):
        mode = absolute.lstat().st_mode
        if stat.S_ISLNK(mode):
            entries[path] = Entry("link", os.readlink(absolute))
        elif stat.S_ISREG(mode):
            entries[path] = Entry("file", _sha256_file(absolute), bool(mode & stat.S_IXUSR))
        # sockets, fifos and devices: nothing a build uses
    return entries


def inputs_digest(
    entries: Mapping[str, Entry],
    dockerfile: bytes,
    ignore_file: bytes | None,
    build_args: Mapping[str, str],
    platform: str | None = None,
) -> str:
    """sha256 of a canonical description of everything the build sees (and the platform it builds for, if set)."""
    document: dict[str, object] = {
        "version": DIGEST_VERSION,
        "dockerfile": hashlib.sha256(dockerfile).hexdigest(),
        "ignore_file": hashlib.sha256(ignore_file).hexdigest() if ignore_file is not None else None,
        "build_args": {str(k): str(v) for k, v in sorted(build_args.items())},
        "entries": [[path, e.kind, e.digest, e.executable] for path, e in sorted(entries.items())],
    }
    if platform is not None:  # without one, the digest of images tagged before platforms were
        document["platform"] = platform
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# ---------------------------------------------------------------------------------------------- git


def _git(repository: Path, *args: str, binary: bool = False) -> bytes:
    try:
        completed = subprocess.run(
            ["git", "-c", "core.quotepath=off", "-C", str(repository), *args],  # noqa: S607 - git from PATH
            capture_output=True,
            check=True,
        )
    except FileNotFoundError as error:
        raise ImageTagError("git is not installed: the image tag needs the checkout's history") from error
    except subprocess.CalledProcessError as error:
        message = error.stderr.decode(errors="replace").strip()
        raise ImageTagError(f"git {' '.join(args[:2])} failed in {repository}: {message}") from error
    return completed.stdout if binary else completed.stdout.strip()


@dataclass(frozen=True)
class _Checkout:
    root: Path
    prefix: str  # the context's path inside the repository, "" or ending in "/"


def _checkout(context: Path) -> _Checkout:
    try:
        inside = _git(context, "rev-parse", "--is-inside-work-tree").decode()
    except ImageTagError as error:
        raise ImageTagError(f"{context} is not a git checkout: the image tag names a commit ({error})") from error
    if inside != "true":
        raise ImageTagError(f"{context} is not inside a git work tree")
    root = Path(_git(context, "rev-parse", "--show-toplevel").decode())
    prefix = _git(context, "rev-parse", "--show-prefix").decode()
    try:
        _git(context, "rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    except ImageTagError as error:
        raise ImageTagError(f"{root} has no commit yet: commit the build inputs first") from error
    return _Checkout(root, prefix)


def _head_blobs(checkout: _Checkout) -> dict[str, tuple[str, str]]:
    """HEAD's tracked paths under the context: relative path -> (git mode, blob id)."""
    listing = _git(
        checkout.root, "ls-tree", "-r", "-z", "--full-tree", "HEAD", "--", checkout.prefix or ".", binary=True
    )
    blobs: dict[str, tuple[str, str]] = {}
    for record in listing.decode("utf-8", errors="surrogateescape").split("\0"):
        if not record:
            continue
        meta, path = record.split("\t", 1)
        mode, kind, blob = meta.split()
        if kind == "commit":
            raise ImageTagError(f"{path} is a git submodule: submodules in the build context are not supported")
        blobs[path[len(checkout.prefix) :]] = (mode, blob)
    return blobs


def _read_blobs(checkout: _Checkout, blob_ids: list[str]) -> dict[str, bytes]:
    """The contents of `blob_ids`, read in one `git cat-file --batch`."""
    if not blob_ids:
        return {}
    try:
        completed = subprocess.run(
            ["git", "-C", str(checkout.root), "cat-file", "--batch"],  # noqa: S607 - git from PATH
            input="".join(f"{blob}\n" for blob in blob_ids).encode(),
            capture_output=True,
            check=True,
        )
    except subprocess.CalledProcessError as error:
        raise ImageTagError(
            f"git cat-file failed in {checkout.root}: {error.stderr.decode(errors='replace')}"
        ) from error
    contents: dict[str, bytes] = {}
    data = completed.stdout
    position = 0
    while position < len(data):
        header_end = data.index(b"\n", position)
        blob, _, size = data[position:header_end].decode().split()
        start = header_end + 1
        contents[blob] = data[start : start + int(size)]
        position = start + int(size) + 1  # the content is followed by a newline
    return contents


def _head_inputs(
    checkout: _Checkout, dockerfile: str | None, build_args: Mapping[str, str], platform: str | None = None
) -> tuple[str, dict[str, Entry]]:
    """The digest and entries a fresh clone of HEAD would give, with HEAD's own .dockerignore."""
    blobs = _head_blobs(checkout)
    wanted = [blob for _, blob in blobs.values()]
    dockerfile_blob = ""
    if dockerfile is not None:
        found = _git(checkout.root, "ls-tree", "-z", "--full-tree", "HEAD", "--", dockerfile, binary=True)
        if found:
            dockerfile_blob = found.decode().split("\t", 1)[0].split()[2]
            wanted.append(dockerfile_blob)
    contents = _read_blobs(checkout, wanted)
    ignore_text = contents[blobs[IGNORE_FILE][1]] if IGNORE_FILE in blobs else None
    ignore = DockerIgnore(ignore_text.decode() if ignore_text is not None else "")
    entries: dict[str, Entry] = {}
    for path, (mode, blob) in blobs.items():
        if ignore.excluded(path):
            continue
        if mode == "120000":
            entries[path] = Entry("link", contents[blob].decode("utf-8", errors="surrogateescape"))
        else:
            entries[path] = Entry("file", hashlib.sha256(contents[blob]).hexdigest(), mode == "100755")
    if not dockerfile_blob:
        return "", entries  # the Dockerfile is not committed: HEAD cannot build this image
    return inputs_digest(entries, contents[dockerfile_blob], ignore_text, build_args, platform), entries


SHALLOW_MESSAGE = (
    "{root} is a shallow clone whose history ends before the build inputs last changed: fetch the full history "
    "(git fetch --unshallow; in GitHub Actions, actions/checkout with fetch-depth: 0) so every clone names the "
    "image after the same commit"
)


def _last_commit(context: Path, pathspecs: list[str]) -> tuple[str, bool]:
    """The last commit that changed any of `pathspecs` (relative to the context), or HEAD when none did; and
    whether that commit is a shallow clone's boundary, whose own changes git cannot know (it has no parent)."""
    commit = _git(context, "--literal-pathspecs", "log", "-1", "--format=%H", "HEAD", "--", *pathspecs).decode()
    commit = commit or _git(context, "rev-parse", "HEAD").decode()
    if _git(context, "rev-parse", "--is-shallow-repository").decode() != "true":
        return commit, False
    shallow_file = Path(_git(context, "rev-parse", "--git-path", "shallow").decode())
    shallow_file = shallow_file if shallow_file.is_absolute() else context / shallow_file
    boundary = set(shallow_file.read_text().split()) if shallow_file.exists() else set()
    return commit, commit in boundary


# ---------------------------------------------------------------------------------------------- the tag


def content_tag(
    context: Path,
    dockerfile: Path,
    build_args: Mapping[str, str] | None = None,
    *,
    allow_shallow: bool = False,
    platform: str | None = None,
) -> ContentTag:
    """The content tag of the image `dockerfile` builds from `context` (a directory in a git checkout).

    With a `platform` (a key of PLATFORMS) the digest covers it and the tag names its architecture
    (`<commit>-<digest>-arm64`), so images of one commit for two architectures never share a tag, and an image
    pushed for the wrong one is replaced by building for the right one.

    A shallow clone that cannot see the commit that last changed the inputs raises ImageTagError, unless
    `allow_shallow` (then the result says `shallow` and names the oldest commit it has).
    """
    context = context.resolve()
    dockerfile = (context / dockerfile).resolve()
    build_args = dict(build_args or {})
    if platform is not None and platform not in PLATFORMS:
        raise ImageTagError(f"the platform {platform!r} is not one of {', '.join(PLATFORMS)}")
    if not context.is_dir():
        raise ImageTagError(f"the build context {context} is not a directory")
    if not dockerfile.is_file():
        raise ImageTagError(f"the Dockerfile {dockerfile} does not exist")
    for name in OTHER_IGNORE_FILES:
        if (context / name).exists():
            raise ImageTagError(
                f"{context / name} exists: podman would read it instead of {IGNORE_FILE}; keep one {IGNORE_FILE}"
            )
    if (Path(f"{dockerfile}{IGNORE_FILE}")).exists():
        raise ImageTagError(
            f"{dockerfile}{IGNORE_FILE} exists: BuildKit would read it instead of the context's {IGNORE_FILE}; "
            f"keep one {IGNORE_FILE} at the context root"
        )
    checkout = _checkout(context)

    ignore_path = context / IGNORE_FILE
    ignore_text = ignore_path.read_bytes() if ignore_path.is_file() else None
    ignore = DockerIgnore(ignore_text.decode() if ignore_text is not None else "")
    entries = working_tree_entries(context, ignore)
    digest = inputs_digest(entries, dockerfile.read_bytes(), ignore_text, build_args, platform)

    try:
        dockerfile_in_repo: str | None = dockerfile.relative_to(checkout.root).as_posix()
    except ValueError:
        dockerfile_in_repo = None
    head_digest, head_entries = _head_inputs(checkout, dockerfile_in_repo, build_args, platform)
    dirty = head_digest != digest
    dirty_paths = sorted(
        path for path in entries.keys() | head_entries.keys() if entries.get(path) != head_entries.get(path)
    )
    if dirty and not dirty_paths:
        dirty_paths = [str(PurePosixPath(dockerfile_in_repo or dockerfile.name)), IGNORE_FILE]

    top_level = sorted({path.split("/", 1)[0] for path in entries.keys() | head_entries.keys()})
    pathspecs = [*top_level, IGNORE_FILE]
    if dockerfile_in_repo is not None:
        pathspecs.append(os.path.relpath(checkout.root / dockerfile_in_repo, context))
    commit, shallow = _last_commit(context, pathspecs)
    if shallow and not allow_shallow:
        raise ImageTagError(SHALLOW_MESSAGE.format(root=checkout.root))

    architecture = f"-{PLATFORMS[platform]}" if platform is not None else ""
    tag = f"{commit[:COMMIT_LENGTH]}-{digest[:DIGEST_LENGTH]}{architecture}" + ("-dirty" if dirty else "")
    return ContentTag(
        tag=tag,
        digest=digest,
        commit=commit,
        dirty=dirty,
        files=tuple(sorted(entries)),
        dirty_paths=tuple(dirty_paths),
        shallow=shallow,
    )
