"""Functions compiled from source that the library writes for a model, and patterns compiled on first use.

The fast road's glue (``_fast``) and the explaining road's walkers
(``_walk``) are generated per model: a call per field, by name, costs a
third of a loop that looks each field's rule up. The source is registered
with ``linecache`` under a name of its own, as attrs and cattrs do, so that a
traceback shows the generated lines.
"""

from __future__ import annotations

import linecache
import re
from typing import Any, Final, cast, final


def define(lines: list[str], namespace: dict[str, Any], title: str) -> None:
    """Run the source ``lines`` in ``namespace``, which then holds what they define.

    Args:
        lines: The source, a line each.
        namespace: The names the source uses; its definitions are added.
        title: What the source is, for the name tracebacks show:
            ``<plenty_events {title}>``.

    Examples:
        >>> namespace = {"TWO": 2}
        >>> define(["def double(x):", "    return x * TWO"], namespace, "example")
        >>> namespace["double"](21)
        42

    """
    source = "\n".join(lines) + "\n"
    filename = unique_filename(f"<plenty_events {title}")
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 -- our own source, from the model


def unique_filename(base: str) -> str:
    """Return a ``linecache`` name that no other generated source holds: ``base>``, else ``base-1>``, and so on.

    Two ``Decoder`` objects may generate code for models of one name: each
    traceback must show its own source, as attrs and cattrs ensure.

    Examples:
        >>> unique_filename("<plenty_events nothing yet")
        '<plenty_events nothing yet>'

    """
    filename, count = f"{base}>", 0
    while filename in linecache.cache:
        count += 1
        filename = f"{base}-{count}>"
    return filename


def lazy_pattern(source: str) -> re.Pattern[str]:
    """Return a regular expression that is compiled on its first use.

    Most of the library's patterns serve the explaining road, or lenient
    decoding, or masking: compiling them at import would put their cost in
    every cold start. After the first use, the pattern's methods are
    attributes of the returned object, bound to the compiled pattern, so a
    call costs what a compiled pattern's call does.

    Examples:
        >>> digits = lazy_pattern("[0-9]+")
        >>> digits.fullmatch("2017") is not None, digits.pattern
        (True, '[0-9]+')
    """
    return cast("re.Pattern[str]", _LazyPattern(source))


#: The methods of a compiled pattern that a lazy one binds on first use.
_METHODS: Final = ("findall", "finditer", "fullmatch", "match", "search", "split", "sub", "subn")


@final
class _LazyPattern:
    """A pattern's source, compiled on the first attribute read (see ``lazy_pattern``)."""

    def __init__(self, source: str) -> None:
        self._source = source

    def __getattr__(self, name: str) -> object:
        # Only called for what the object does not hold yet.
        compiled: re.Pattern[str] | None = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = re.compile(self._source)
            self.__dict__["_compiled"] = compiled
            self.__dict__.update({method: getattr(compiled, method) for method in _METHODS})
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"lazy_pattern({self._source!r})"
