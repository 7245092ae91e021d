# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compile each Jinja template of a run once, not once per task.

ansible-core keeps no compiled templates: each task runs in a worker forked from the controller, which parses,
generates and compiles every template and conditional it renders (variables that refer to other variables
included) and loses them when it exits. Measured over a no-op site.yml, that is about a third of a worker's time.

This cache keeps the compiled code objects in the run's local temporary directory (ansible-core creates it
before forking and removes it when the run ends), keyed by everything the generated code depends on, so the
workers of one run share them. The templates themselves are built as Jinja builds them, in the worker's own
environment; nothing is shared between runs. Measured in docs/benchmarks.md ("Deploying the whole stack");
DAGSTER_ECS_TEMPLATE_CACHE=false turns it off.

It replaces three methods of ansible-core's private AnsibleEnvironment (checked against ansible-core 2.21 and
Jinja 3.1): if they are not there, importing this module fails and mitogen_linear warns and leaves ansible-core
as it is.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
import threading
import types
from typing import Any

from ansible import constants as C
from ansible._internal._templating import _jinja_bits
from ansible._internal._templating._jinja_common import _TemplateConfig

# The private parts used below, looked up on import so that a changed ansible-core fails here, not mid-template.
_Environment = _jinja_bits.AnsibleEnvironment
_CompileState = _jinja_bits._CompileStateSmugglingCtx
_CompileContext = _jinja_bits._TemplateCompileContext
_LEXER_SETTINGS = _jinja_bits._TEMPLATE_OVERRIDE_FIELD_NAMES
_compile = _Environment.compile
_from_string = _Environment.from_string
_compile_expression = _Environment.compile_expression

_state = threading.local()  # the kind and source being compiled, from from_string or compile_expression to compile
_memory: dict[str, types.CodeType] = {}  # this process's hits and compiles, by key


def _key(env: Any, kind: str, source: str) -> str | None:
    """The cache key of `source` compiled by `env`: the source and every setting Jinja's parser and code generator
    read; None when the code may depend on something else."""
    if _CompileState.current(optional=True) or getattr(env, "_debuggable_template_source", True):
        return None  # template debugging writes the generated source to files; leave it alone
    context = _CompileContext.current(optional=True)
    parts = (
        kind,
        tuple(getattr(env, name) for name in _LEXER_SETTINGS),
        tuple(sorted(env.extensions)),
        env.autoescape,
        env.optimized,
        env.is_async,
        type(env).__qualname__,
        getattr(env.finalize, "__qualname__", repr(env.finalize)),
        context.escape_backslashes if context else None,
        _TemplateConfig.allow_embedded_templates,
        source,
    )
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _directory() -> str:
    # The run's own directory: ansible-core makes it (0700) before the first fork and removes it at exit.
    return os.path.join(C.DEFAULT_LOCAL_TMP, "dagster_ecs-jinja")  # ty: ignore[missing-attribute]


def _load(key: str) -> types.CodeType | None:
    if (code := _memory.get(key)) is not None:
        return code
    try:
        with open(os.path.join(_directory(), key), "rb") as file:
            code = marshal.load(file)  # noqa: S302 - written by this run, in its own 0700 directory
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if isinstance(code, types.CodeType):
        _memory[key] = code
        return code
    return None


def _store(key: str, code: types.CodeType) -> None:
    _memory[key] = code
    directory = _directory()
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        # Written whole, then renamed: another worker reads either nothing or the whole file.
        handle, temporary = tempfile.mkstemp(dir=directory)
        with os.fdopen(handle, "wb") as file:
            marshal.dump(code, file)
        os.replace(temporary, os.path.join(directory, key))
    except OSError:
        pass  # a cache that cannot be written only costs time


def _compile_cached(
    self: Any, source: Any, name: Any = None, filename: Any = None, raw: bool = False, defer_init: bool = False
) -> Any:
    pending = getattr(_state, "pending", None)
    _state.pending = None
    if pending is None or raw or defer_init or name is not None or filename is not None:
        return _compile(self, source, name, filename, raw, defer_init)
    kind, template_source = pending
    if isinstance(source, str) != (kind == "template") or (kind == "template" and source != template_source):
        return _compile(self, source, name, filename, raw, defer_init)
    key = _key(self, kind, template_source)
    if key is None:
        return _compile(self, source, name, filename, raw, defer_init)
    if (code := _load(key)) is not None:
        return code
    code = _compile(self, source, name, filename, raw, defer_init)
    _store(key, code)
    return code


def _from_string_cached(self: Any, source: Any, *args: Any, **kwargs: Any) -> Any:
    if not isinstance(source, str):  # an expression's node tree: compile_expression said what it came from
        return _from_string(self, source, *args, **kwargs)
    _state.pending = ("template", source)
    try:
        return _from_string(self, source, *args, **kwargs)
    finally:
        _state.pending = None


def _compile_expression_cached(self: Any, source: str, *args: Any, **kwargs: Any) -> Any:
    # Jinja parses the expression into a node tree and compiles that through from_string; the source is the key.
    _state.pending = ("expression", source)
    try:
        return _compile_expression(self, source, *args, **kwargs)
    finally:
        _state.pending = None


def install() -> bool:
    """Route AnsibleEnvironment's compiles through the cache (once per process); False if it is turned off."""
    if os.environ.get("DAGSTER_ECS_TEMPLATE_CACHE", "true").lower() in ("0", "false", "no", "off"):
        return False
    _Environment.compile = _compile_cached
    _Environment.from_string = _from_string_cached
    _Environment.compile_expression = _compile_expression_cached
    return True
