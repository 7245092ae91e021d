"""module_utils/botocore_models.py: the mitogen_linear strategy's interpreter parses each botocore model once."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.moto_server import MotoServer

COLLECTIONS = Path(__file__).resolve().parents[2] / "collections"

# Run in a process of its own: the patch is interpreter-wide, as it is in the strategy's target interpreter.
_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import boto3, botocore.loaders
    from ansible_collections.dagster_ecs.aws.plugins.module_utils import botocore_models

    parsed = []
    _load = botocore.loaders.JSONFileLoader._load_file
    def counting(self, full_path, open_method):
        data = _load(self, full_path, open_method)
        if data is not None:
            parsed.append(full_path)
        return data
    botocore.loaders.JSONFileLoader._load_file = counting

    def new_module_session():
        # What every AWS module does: a new session, a client, a call.
        client = boto3.session.Session().client("ec2")
        return [vpc["VpcId"] for vpc in client.describe_vpcs()["Vpcs"]]

    counts, answers = [], []
    for share in (False, True, True):
        if share:
            botocore_models.share_parsed_models()
        before = len(parsed)
        answers.append(new_module_session())
        counts.append(len(parsed) - before)
    json.dump({"counts": counts, "answers": answers}, sys.stdout)
    """
)


def test_each_model_is_parsed_once_per_interpreter_and_clients_still_work(aws: MotoServer) -> None:
    env = {**aws.env(), "PYTHONPATH": str(COLLECTIONS)}
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    report = json.loads(result.stdout)
    unshared, first_shared, second_shared = report["counts"]
    # Without sharing a new session parses EC2's model, endpoints and rule set again; with it the first shared
    # session parses them once more (the cache starts empty) and the next one parses nothing.
    assert unshared >= 3, report
    assert first_shared == unshared, report
    assert second_shared == 0, report
    # The shared models still describe the API: each session sees the same VPCs (the account's default one).
    assert report["answers"][0] == report["answers"][1] == report["answers"][2], report
    assert report["answers"][0], report
