"""The errors of DAG publishing: every one derives from PublishError, so callers can catch them all."""


class PublishError(RuntimeError):
    """Publishing, applying or rolling back a release failed; the message says what and what to do."""


class ManifestError(PublishError):
    """A manifest or a source tree cannot be published as it is (bad path, symlink, malformed JSON)."""


class IntegrityError(PublishError):
    """Content did not match its manifest entry (a file changed while publishing, or a corrupt blob)."""


class LockTimeoutError(PublishError):
    """Another publish or rollback of the same repository held the lock for longer than the timeout."""


class PreflightError(PublishError):
    """The repository failed to load; the message names the failing file and the error."""


class ReloadError(PublishError):
    """The webserver did not serve the expected definitions after a reload; the message carries the load error."""


class MissingObjectError(PublishError):
    """A staged object (a manifest) is not in S3."""
