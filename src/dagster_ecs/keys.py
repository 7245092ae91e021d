"""Confining object keys to a repository's prefix.

Every key a DAG passes in is relative to `repos/<repo>/`. A key that could name something outside that
prefix, or that S3 and a filesystem would read differently, is refused before any request is made.
"""

MAX_KEY_BYTES = 1024  # S3's limit for the whole key, prefix included


class KeyEscapeError(ValueError):
    """A key that would leave the repository's prefix, or that is not a usable object key."""


def confine_key(prefix: str, key: str) -> str:
    """The full object key for `key` under `prefix`; raises KeyEscapeError for anything unsafe."""
    if not isinstance(key, str) or key == "":
        raise KeyEscapeError(f"an empty key is not allowed under {prefix}: name an object, e.g. 'output/data.json'")
    bad = next((ch for ch in key if ord(ch) < 32 or ord(ch) == 127), None)
    if bad is not None:
        raise KeyEscapeError(f"key {key!r} contains control character {bad!r}; it is not allowed under {prefix}")
    if "\\" in key:
        raise KeyEscapeError(f"key {key!r} contains a backslash; use '/' to separate parts of a key under {prefix}")
    if key.startswith("/"):
        raise KeyEscapeError(f"key {key!r} is absolute; keys are relative to {prefix}, drop the leading '/'")
    for part in key.rstrip("/").split("/"):
        if part in ("", ".", ".."):
            raise KeyEscapeError(
                f"key {key!r} has an empty, '.' or '..' part; it could escape {prefix} and is not allowed"
            )
    full = prefix + key
    if len(full.encode()) > MAX_KEY_BYTES:
        raise KeyEscapeError(f"key {key!r} makes an object key longer than S3's {MAX_KEY_BYTES} bytes")
    return full


def confine_listing_prefix(prefix: str, sub_prefix: str) -> str:
    """The full listing prefix for `sub_prefix` ('' lists the whole repository)."""
    if sub_prefix == "":
        return prefix
    return confine_key(prefix, sub_prefix)


def relative_key(prefix: str, full_key: str) -> str:
    """`full_key` without `prefix`; raises if a listing returned a key outside the prefix."""
    if not full_key.startswith(prefix):
        raise KeyEscapeError(f"object {full_key!r} is outside {prefix}")
    return full_key[len(prefix) :]
