"""Functions compiled from source that the library writes for a model, and patterns compiled on first use.

The fast road's glue (``_fast``) and the explaining road's walkers
(``_walk``) are generated per model: a call per field, by name, costs
less than a loop that looks each field's rule up. The source is registered
with ``linecache`` under a name of its own, as attrs and cattrs do, so that a
traceback shows the generated lines.
"""

from __future__ import annotations

import linecache
import re
from typing import TYPE_CHECKING, Any, Final, final

if TYPE_CHECKING:
    from collections.abc import Callable


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


def lazy_pattern(source: str) -> LazyPattern:
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
    return LazyPattern(source)


@final
class LazyPattern:
    """A regular expression's source, compiled on the first use of a method (see ``lazy_pattern``)."""

    # The compiled pattern's methods that the library calls, bound to the
    # object on first use. Annotations only: until then, reading one goes
    # to __getattr__, which compiles the pattern.
    findall: Callable[[str], list[Any]]
    fullmatch: Callable[[str], re.Match[str] | None]
    match: Callable[[str], re.Match[str] | None]
    search: Callable[[str], re.Match[str] | None]
    sub: Callable[[str | Callable[[re.Match[str]], str], str], str]

    def __init__(self, source: str) -> None:
        self.pattern = source

    def __getattr__(self, name: str) -> object:
        # Only called for what the object does not hold yet.
        if name not in _METHODS:
            raise AttributeError(f"a lazy pattern has no attribute {name!r}")
        compiled = re.compile(self.pattern)
        self.__dict__.update({method: getattr(compiled, method) for method in _METHODS})
        return self.__dict__[name]

    def __repr__(self) -> str:
        return f"lazy_pattern({self.pattern!r})"


#: The methods that a lazy pattern binds on first use: those it declares.
_METHODS: Final = tuple(LazyPattern.__annotations__)
