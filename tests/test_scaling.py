"""Linear time: decoding a hostile body 16 times the size takes about 16 times as long, not 256.

Each shape is a body an attacker can grow at will. It is decoded at 1x, 4x
and 16x its base size, in both modes, as ``bytes`` and as ``str``; the times
are compared with each other, in one run, never with a clock: a linear
decoder takes about 16 times as long at 16x, a quadratic one 256 times. The
bound allows three times linear growth, for the noise of a shared machine.
Each size is timed several times, interleaved with the others, in CPU time,
and the best time counts, so that a pause of the machine cannot fake a
slope; a shape that exceeds the bound is measured again before it fails.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import time
from typing import TYPE_CHECKING

import pytest

import plenty_events
from plenty_events.testing import sample_payload, to_json

if TYPE_CHECKING:
    from collections.abc import Callable

SAMPLE = to_json(sample_payload()).decode()
ITEM = SAMPLE[SAMPLE.index('{"itemVariationId"') : SAMPLE.index("}]") + 1]
SIZES = (1, 4, 16)
#: Linear growth, times the slack a noisy machine needs.
SLACK = 3
ROUNDS = 3
ATTEMPTS = 3


def _extra(member: str) -> str:
    """The sample with ``member`` added to its top object."""
    return f"{SAMPLE[:-1]},{member}}}"


def _emoji_keys(n: int) -> str:
    """Lone surrogates under 60 objects keyed by 64 emoji: each error has a deep, wide path."""
    key = '"' + "\U0001f600" * 64 + '"'
    values = ",".join(f'"{i}":"\\ud800"' for i in range(n))
    return _extra(f'"extra":{("{" + key + ":") * 60}{{{values}}}{"}" * 60}')


def _full_road(text: str) -> str:
    """The body with 1,001 brackets in its first item's name, which is valid text.

    The quick path leaves a body with more than 1,000 brackets and colons to
    the full parse. With these, a body takes the same road at every size:
    one that the quick path parsed at 1x and left to the full parse at 4x
    would show the step between the two roads as a slope.
    """
    return text.replace("SuperService", "[" * 1001, 1)


#: Shape name -> (base size, body of that size). Each base is large enough
#: for its decode to take a few tenths of a millisecond, many times the cost
#: of a call.
SHAPES: dict[str, tuple[int, Callable[[int], str]]] = {
    # A string that never closes, made of escaped quotes, after enough
    # brackets to make the depth of the text worth measuring.
    "unterminated-escaped-quotes": (4_000, lambda n: "[" * 65 + '\\"' * n),
    "unterminated-escaped-quotes-then-backslash": (4_000, lambda n: "[" * 65 + '"' + '\\"' * n + "\\"),
    "unterminated-plain-strings": (2_000, lambda n: "[" * 65 + '"a' * n),
    "deep-arrays": (500, lambda n: "[" * n + "]" * n),
    "deep-objects": (300, lambda n: '{"a":' * n + "1" + "}" * n),
    "deep-in-a-string": (10_000, lambda n: _extra('"extra":"' + "[" * n + '"')),
    "many-unknown-keys": (100, lambda n: _full_road(_extra(",".join(f'"k{i}":{i}' for i in range(n))))),
    "many-duplicate-keys": (100, lambda n: _full_road(_extra(",".join(['"k":1'] * n)))),
    "many-errors": (
        20,
        lambda n: _full_road(SAMPLE.replace(ITEM, ",".join([ITEM.replace('"quantity":1', '"quantity":[]')] * n))),
    ),
    "many-items": (20, lambda n: _full_road(SAMPLE.replace(ITEM, ",".join([ITEM] * n)))),
    "long-escapes": (3_000, lambda n: SAMPLE.replace("SuperService", "\\u00e9\\n\\\\" * n)),
    "many-surrogate-pairs": (4_000, lambda n: SAMPLE.replace("SuperService", "\\ud83d\\ude00" * n)),
    "many-lone-surrogates": (50, lambda n: _extra(",".join(f'"s{i}":"\\ud800"' for i in range(n)))),
    "lone-surrogates-under-emoji-keys": (40, _emoji_keys),
    "many-colons-in-strings": (40_000, lambda n: SAMPLE.replace("SuperService", ":" * n)),
    # Both roads write the decoded value again to count its colons, and find one too few.
    "many-colons-beside-a-duplicate-key": (
        40_000,
        lambda n: SAMPLE.replace("SuperService", ":" * n).replace('"contact":{', '"contact":{"id":1,'),
    ),
    "huge-integer": (20_000, lambda n: _extra('"extra":' + "9" * n)),
    "huge-fraction": (5_000, lambda n: SAMPLE.replace("41.1765", "0." + "3" * n)),
    "huge-exponent-digits": (5_000, lambda n: SAMPLE.replace("41.1765", "1e" + "9" * n)),
    "long-string": (100_000, lambda n: SAMPLE.replace("SuperService", "x" * n)),
    "long-unknown-key": (50_000, lambda n: _extra(f'"{"k" * n}":1')),
    "long-id": (50_000, lambda n: SAMPLE.replace("evt_553ea8a294e2d3a75d5086a06fb53f5a", "e" * n)),
}


@functools.cache
def bodies(shape: str, kind: str) -> tuple[str | bytes, ...]:
    """The shape's bodies at each size, as ``str`` or ``bytes``; built once for both modes."""
    base, build = SHAPES[shape]
    texts = [build(base * size) for size in SIZES]
    # surrogatepass: a str body may hold a lone surrogate; as bytes it is then invalid UTF-8.
    return tuple(texts) if kind == "str" else tuple(text.encode("utf-8", "surrogatepass") for text in texts)


def _seconds(body: str | bytes, *, strict: bool) -> float:
    # CPU time, not wall time: a machine shared with other work takes turns,
    # and the turns this process waits must not count.
    start = time.process_time()
    with contextlib.suppress(plenty_events.DecodeError):
        plenty_events.decode(body, strict=strict)
    return time.process_time() - start


def growth(sized: tuple[str | bytes, ...], *, strict: bool) -> tuple[float, float]:
    """Return the best times at 4x and 16x the base size, each divided by the best time at 1x."""
    _seconds(sized[0], strict=strict)  # imports and caches, out of the first timing
    best = [float("inf")] * len(sized)
    gc.disable()  # a collection would land on one size only
    try:
        for _ in range(ROUNDS):
            for index, body in enumerate(sized):
                best[index] = min(best[index], _seconds(body, strict=strict))
    finally:
        gc.enable()
    return best[1] / best[0], best[2] / best[0]


@pytest.mark.parametrize("kind", ["bytes", "str"])
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict"])
@pytest.mark.parametrize("shape", list(SHAPES))
def test_decoding_time_grows_linearly_with_the_body(shape: str, strict: bool, kind: str) -> None:
    """Decoding the shape at 16x its base size takes less than 3 x 16 times as long as at 1x."""
    # A quadratic decoder fails every attempt, by far; noise rarely twice.
    for _ in range(ATTEMPTS):
        at_4, at_16 = growth(bodies(shape, kind), strict=strict)
        if at_16 < SLACK * 16:
            break
    assert at_16 < SLACK * 16, f"4x took {at_4:.1f}x as long, 16x {at_16:.1f}x"
