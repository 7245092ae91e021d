"""The `dagster-ecs` command: scaffold repositories and DAGs, generate workspaces, run locally, publish releases."""

import argparse
import sys
from pathlib import Path

from dagster_ecs.config import to_yaml
from dagster_ecs.config.workspace import CODE_SERVER_PORT, grpc_workspace, local_workspace
from dagster_ecs.discovery import discover_repositories
from dagster_ecs.local_run import run_dev
from dagster_ecs.names import InvalidNameError, validate_repository_name
from dagster_ecs.publish.errors import PublishError
from dagster_ecs.scaffold import ScaffoldError, new_dag, new_repo
from dagster_ecs.settings import ConfigurationError

PUBLISH_COMMANDS = {
    "publish": "publish dags/REPO into a target directory as a new live release",
    "rollback": "switch a target back to the release live before the live one",
    "verify": "check that a release holds exactly its manifest's files",
}


def build_parser() -> argparse.ArgumentParser:
    # --dags-dir goes before or after the command: `dagster-ecs --dags-dir X dev` or `dagster-ecs dev --dags-dir X`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--dags-dir", type=Path, default=argparse.SUPPRESS, help="directory of repositories (default: dags)"
    )
    parser = argparse.ArgumentParser(prog="dagster-ecs", description=__doc__, parents=[common])
    commands = parser.add_subparsers(dest="command", required=True)

    repo = commands.add_parser(
        "new-repo", parents=[common], help="create dags/NAME/ with a first DAG from the template"
    )
    repo.add_argument("name", help="repository name: lowercase letters, digits, hyphens")
    repo.add_argument("--dag", help="name of its first DAG (default: NAME with '-' as '_')")
    repo.add_argument("--template", type=Path, help="template file (default: dags/main/template_dag.py)")

    dag = commands.add_parser("new-dag", parents=[common], help="create dags/REPO/NAME.py from the template")
    dag.add_argument("repo", help="existing repository")
    dag.add_argument("name", help="DAG name: lowercase letters, digits, underscores")
    dag.add_argument("--template", type=Path, help="template file (default: dags/main/template_dag.py)")

    commands.add_parser("repos", parents=[common], help="list the repositories under the DAG directory")

    # The publish commands, as `python -m dagster_ecs.publish` runs them (one JSON line each; the task
    # definitions call that module directly, which loads less than this CLI).
    for name, help_text in PUBLISH_COMMANDS.items():
        forwarded = commands.add_parser(name, add_help=False, help=f"{help_text} (--help for its options)")
        forwarded.add_argument("arguments", nargs=argparse.REMAINDER)

    listing = commands.add_parser(
        "releases", parents=[common], help="list a published repository's releases (DAGS_DIR/REPO) and the live one"
    )
    listing.add_argument("repo", help="repository published under the DAG directory, e.g. --dags-dir .dagster/efs")

    workspace = commands.add_parser("workspace", parents=[common], help="print the workspace.yaml for the repositories")
    workspace.add_argument(
        "--grpc-host-template",
        help="print grpc_server entries instead, host from this template, e.g. '{repo}.dagster.local'",
    )
    workspace.add_argument("--grpc-port", type=int, default=CODE_SERVER_PORT)

    dev = commands.add_parser("dev", parents=[common], help="run Dagster locally: UI on http://localhost:3000")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Handed over whole, before argparse here sees them: its REMAINDER would not pass on a leading `--help`.
    if argv and argv[0] in PUBLISH_COMMANDS:
        from dagster_ecs.publish.__main__ import main as publish_main

        return publish_main(argv)
    args = build_parser().parse_args(argv)
    if args.command in PUBLISH_COMMANDS:
        build_parser().error(f"put {args.command!r} first: dagster-ecs {args.command} ... (it takes no --dags-dir)")
    dags_dir: Path = getattr(args, "dags_dir", Path("dags"))
    try:
        if args.command == "new-repo":
            print(f"created {new_repo(dags_dir, args.name, args.dag, args.template)}")
            print("a running `dagster-ecs dev` serves it after a restart")
        elif args.command == "new-dag":
            print(f"created {new_dag(dags_dir, args.repo, args.name, args.template)}")
        elif args.command == "repos":
            for repository in discover_repositories(dags_dir):
                print(repository.name)
        elif args.command == "releases":
            # Here, not at the top: the release code pulls in botocore, which the other commands do not need.
            from dagster_ecs.publish.listing import format_releases, release_rows

            target = dags_dir / validate_repository_name(args.repo)
            print(format_releases(target, release_rows(target)), end="")
        elif args.command == "workspace":
            repositories = discover_repositories(dags_dir)
            if args.grpc_host_template:
                servers = {r.name: (args.grpc_host_template.format(repo=r.name), args.grpc_port) for r in repositories}
                content = grpc_workspace(servers)
            else:
                content = local_workspace(repositories, working_directory=dags_dir.resolve().parent)
            print(to_yaml(content), end="")
        elif args.command == "dev":
            run_dev(dags_dir, args.host, args.port)
    except (InvalidNameError, ScaffoldError, ConfigurationError, PublishError, FileNotFoundError, ValueError) as error:
        print(f"dagster-ecs: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
