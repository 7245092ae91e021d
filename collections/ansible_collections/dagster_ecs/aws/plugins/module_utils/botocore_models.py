# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""botocore's JSON models parsed once per interpreter, for the mitogen_linear strategy's persistent interpreter.

Every AWS module creates a new boto3 session, and each session's loader parses the service's model again (EC2's is
several megabytes of JSON): about three quarters of an AWS module's time in a persistent interpreter. botocore
already hands one parsed model to every client of a session, so it treats the models as read-only; this shares them
between sessions too. The files are keyed by path, so AWS_DATA_PATH and other botocore versions are unaffected.
"""

from typing import Any

import botocore.loaders

_parsed: dict[str, Any] = {}
_load_file = botocore.loaders.JSONFileLoader.load_file


def _load_file_once(self: botocore.loaders.JSONFileLoader, file_path: str) -> Any:
    if file_path not in _parsed:
        _parsed[file_path] = _load_file(self, file_path)
    return _parsed[file_path]


def share_parsed_models() -> bool:
    """Make every botocore loader in this interpreter parse each model file at most once. Idempotent."""
    botocore.loaders.JSONFileLoader.load_file = _load_file_once
    return True
