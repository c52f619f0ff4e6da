"""Functions compiled from source that the library writes for a model.

The fast road's glue (``_fast``) and the explaining road's walkers
(``_walk``) are generated per model: a call per field, by name, costs a
third of a loop that looks each field's rule up. The source is registered
with ``linecache`` under a name of its own, as attrs and cattrs do, so that a
traceback shows the generated lines.
"""

from __future__ import annotations

import linecache
from typing import Any


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
