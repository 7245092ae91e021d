"""`python -m emulator.server --port N`: moto server with the corrections applied and calls recorded.

Set DAGSTER_ECS_EMULATOR_CALL_LOG to a file path to record every API call (see emulator.calls).
"""

import argparse
import os
import signal
import sys
from pathlib import Path
from types import FrameType

from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

from emulator.calls import CallRecorder
from emulator.corrections import apply_all

CALL_LOG_ENV = "DAGSTER_ECS_EMULATOR_CALL_LOG"


def _stop(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # moto builds some URLs (e.g. ECR, presigned) from this; it must match where it listens.
    os.environ.setdefault("MOTO_PORT", str(args.port))
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    apply_all()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    app = DomainDispatcherApplication(create_backend_app)
    log_path = os.environ.get(CALL_LOG_ENV)
    served = CallRecorder(app, Path(log_path)) if log_path else app
    run_simple(args.host, args.port, served, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
