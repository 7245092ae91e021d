"""The podman fixtures for the image and compose tests (see tests/support/podman.py)."""

from tests.support.podman import podman_host, project_image

__all__ = ["podman_host", "project_image"]
