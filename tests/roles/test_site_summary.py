"""site.yml ends with a short summary of what is deployed (UI URL, image, repositories, bucket, cluster) under every
tag selection, and --check makes it no different: no change, no write call."""

import re
from pathlib import Path

from tests.roles.test_site_validation import site
from tests.support.moto_server import MotoServer


def test_site_ends_with_a_summary_under_any_tags_and_check(aws: MotoServer, tmp_path: Path) -> None:
    # Only the always-tagged steps run, on an empty account: the checks, the roles' outputs and the summary.
    completed = site(aws, tmp_path, "-i", "inventory/local", "--tags", "no-such-tag", "--check")

    assert completed.returncode == 0, completed.output[-3000:]
    summary = completed.output.split("TASK [Say what is deployed]", 1)[-1].split("PLAY RECAP", 1)[0]
    assert '"UI: none yet (the load balancer does not exist)"' in summary, summary
    # No repository yet, so the image is named by its content tag alone.
    assert re.search(r'"Image: [0-9a-f]{12}-[0-9a-f]{16}', summary), summary
    assert re.search(r'"Repositories: [a-z0-9, -]*\bmain\b', summary), summary
    assert '"Bucket: dagster-ecs-local-123456789012"' in summary, summary
    assert '"Cluster: dagster-ecs-local"' in summary, summary
    assert re.search(r"aws_local\s*: ok=\d+\s+changed=0 ", completed.output), completed.output[-1000:]
    assert [call for call in completed.calls if call.write] == []
