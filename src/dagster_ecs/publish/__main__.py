"""The publish command line: what the one-off apply task, a bastion with EFS mounted, and a laptop run.

    python -m dagster_ecs.publish apply --bucket B --repository R --manifest-key K --target DIR [--keep N] [--check]
    python -m dagster_ecs.publish publish SOURCE TARGET --repository R [--keep N] [--no-preflight] [--check]
                                          [--webserver URL] [--no-hash-cache]
    python -m dagster_ecs.publish rollback TARGET
    python -m dagster_ecs.publish releases TARGET
    python -m dagster_ecs.publish verify TARGET [--release ID]

Each prints one JSON line on success. On failure it exits 1 with a one-line reason on stderr.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from dagster_ecs.names import InvalidNameError, validate_repository_name
from dagster_ecs.publish.blobs import DirectoryBlobs, S3Blobs
from dagster_ecs.publish.errors import PublishError
from dagster_ecs.publish.hash_cache import CACHE_ENV, HashCache
from dagster_ecs.publish.manifest import build_manifest
from dagster_ecs.publish.release import (
    apply_release,
    live_release,
    pending_changes,
    releases,
    rollback,
    verify_release,
)

PROG = "python -m dagster_ecs.publish"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        output = args.run(args)
    except (PublishError, InvalidNameError, OSError) as error:
        return _fail(error)
    except Exception as error:
        # boto3/botocore errors (credentials, access denied, throttling) end the command the same way.
        if type(error).__module__.startswith(("botocore", "boto3")):
            return _fail(error)
        raise
    print(json.dumps(output, sort_keys=True))
    return 0


def _fail(error: BaseException) -> int:
    reason = " ".join(str(error).split()) or type(error).__name__
    print(f"{PROG}: {reason}", file=sys.stderr)
    return 1


def _apply(args: argparse.Namespace) -> dict[str, Any]:
    import boto3

    from dagster_ecs.publish.staging import read_live_manifest, read_manifest, write_live_manifest

    client = boto3.client("s3")
    manifest = read_manifest(client, args.bucket, args.repository, args.manifest_key)
    if args.check:
        return _check_output(args.target, manifest)
    result = apply_release(
        args.target,
        manifest,
        S3Blobs(client, args.bucket, args.repository),
        keep=args.keep,
        lock_timeout=args.lock_timeout,
    )
    # After the switch, so live.json never names a release that is not live; a crash between the two leaves
    # it stale, which costs the next upload some already-present blobs and nothing else.
    if read_live_manifest(client, args.bucket, args.repository) != manifest:
        write_live_manifest(client, args.bucket, args.repository, manifest)
    return result.to_dict()


def _publish(args: argparse.Namespace) -> dict[str, Any]:
    source, target = args.source.resolve(), args.target.resolve()
    if source == target or source.is_relative_to(target) or target.is_relative_to(source):
        raise PublishError(f"source {source} and target {target} overlap; publish into a directory outside the source")
    loaded = None
    if not args.no_preflight:
        from dagster_ecs.publish.preflight import preflight

        loaded = preflight(source, args.repository)
    manifest = build_manifest(source, cache=None if args.no_hash_cache else HashCache(source))
    if args.check:
        return _check_output(target, manifest)
    result = apply_release(target, manifest, DirectoryBlobs(source), keep=args.keep, lock_timeout=args.lock_timeout)
    output = result.to_dict()
    if args.webserver:
        from dagster_ecs.publish.reload import reload_location

        output["served"] = reload_location(args.webserver, args.repository, loaded).to_dict()
    return output


def _check_output(target: Path, manifest: Any) -> dict[str, Any]:
    """What a publish would do, as its JSON line (check mode: nothing is written)."""
    changes = pending_changes(target, manifest)
    release = live_release(target)
    return {
        "changed": not changes.empty or release is None,
        "release": release,
        "previous": release,
        **changes.to_dict(),
        "transferred": [],
    }


def _rollback(args: argparse.Namespace) -> dict[str, Any]:
    return rollback(args.target, lock_timeout=args.lock_timeout).to_dict()


def _releases(args: argparse.Namespace) -> dict[str, Any]:
    return {"releases": releases(args.target), "current": live_release(args.target)}


def _verify(args: argparse.Namespace) -> dict[str, Any]:
    release = args.release or live_release(args.target)
    manifest = verify_release(args.target, release)
    return {"release": release, "digest": manifest.digest, "files": len(manifest.files)}


def _repository(value: str) -> str:
    try:
        return validate_repository_name(value)
    except InvalidNameError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _keep(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1 (the live release is always kept)")
    return number


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run: Any, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(run=run)
        return sub

    def release_options(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--keep", type=_keep, default=5, help="releases to keep (default 5)")
        sub.add_argument("--lock-timeout", type=float, default=600.0, help="seconds to wait for the lock")
        sub.add_argument("--check", action="store_true", help="report what would change; change nothing")

    apply = command("apply", _apply, "apply a manifest staged in S3 to TARGET, then record it as live.json")
    apply.add_argument("--bucket", required=True)
    apply.add_argument("--repository", required=True, type=_repository)
    apply.add_argument("--manifest-key", required=True)
    apply.add_argument("--target", required=True, type=Path)
    release_options(apply)

    publish = command("publish", _publish, "publish SOURCE into TARGET directly (a mounted or local target)")
    publish.add_argument("source", type=Path)
    publish.add_argument("target", type=Path)
    publish.add_argument("--repository", required=True, type=_repository)
    publish.add_argument("--no-preflight", action="store_true", help="skip loading the repository first")
    publish.add_argument("--webserver", help="reload the code location through this webserver URL afterwards")
    publish.add_argument(
        "--no-hash-cache", action="store_true", help=f"hash every file (default: reuse hashes, see ${CACHE_ENV})"
    )
    release_options(publish)

    back = command("rollback", _rollback, "switch TARGET back to the release live before the live one")
    back.add_argument("target", type=Path)
    back.add_argument("--lock-timeout", type=float, default=600.0)

    command("releases", _releases, "list TARGET's releases (oldest first) and the live one").add_argument(
        "target", type=Path
    )

    verify = command("verify", _verify, "check that a release holds exactly its manifest's files")
    verify.add_argument("target", type=Path)
    verify.add_argument("--release", help="default: the live release")
    return parser


if __name__ == "__main__":
    sys.exit(main())
