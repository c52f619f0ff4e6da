"""Bounded memory: decoding a body costs at most a constant factor of its size, whatever its shape.

Each shape is an array an attacker can grow at will, put under a key the
model does not know, so that lenient decoding keeps it in ``extra`` and
strict decoding refuses it. The peak of the traced allocations is compared
with the body's size at 1x, 4x and 16x; and ``decode`` runs in a child
process whose address space is limited to what it had before plus
:data:`AS_FACTOR` times the body, where a ``MemoryError`` would escape.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import tracemalloc

import pytest

import plenty_events
from plenty_events.testing import sample_payload, to_json

#: The bound docs/security.md states: traced allocations per byte of body.
FACTOR = 80
#: The address space a child may add per byte of body, over the traced peak
#: for what the allocator keeps in reserve.
AS_FACTOR = 128
SAMPLE = to_json(sample_payload()).decode()
#: One element of each shape; the costliest per byte of text among the JSON values.
SHAPES = {
    "zeros": "0",
    "empty-arrays": "[]",
    "empty-objects": "{}",
    "objects": '{"":0}',
    "decimals": "0.1",
    "strings": '""',
    "nested": "[[[[[[[[0]]]]]]]]",
}
BASE = 1 << 16


def _body(element: str, size: int) -> bytes:
    """The sample with an unknown key ``x`` holding an array of ``element`` about ``size`` bytes long."""
    count = size // (len(element) + 1)
    return f'{SAMPLE[:-1]},"x":[{",".join([element] * count)}]}}'.encode()


def _peak(body: bytes, *, strict: bool) -> int:
    """The peak of the allocations traced while ``body`` is decoded."""
    gc.collect()
    tracemalloc.start()
    try:
        plenty_events.decode(body, strict=strict)
    except plenty_events.DecodeError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("shape", SHAPES)
def test_memory_is_a_constant_factor_of_the_body(shape: str, strict: bool) -> None:
    """At 1x, 4x and 16x, decoding allocates at most FACTOR times the body, so 16x costs about 16 times 1x."""
    peaks = {size: _peak(_body(SHAPES[shape], BASE * size), strict=strict) for size in (1, 4, 16)}
    for size, peak in peaks.items():
        assert peak <= FACTOR * BASE * size, (size, peak / (BASE * size))
    assert peaks[16] <= 1.5 * 16 * peaks[1]


CHILD = textwrap.dedent(
    """
    import resource, sys
    import plenty_events
    from plenty_events.testing import sample_payload
    body, strict, factor = sys.stdin.buffer.read(), sys.argv[1] == "strict", int(sys.argv[2])
    plenty_events.decode(sample_payload(), strict=strict)  # every import and cache before the limit
    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    resource.setrlimit(resource.RLIMIT_AS, (size + factor * len(body), resource.RLIM_INFINITY))
    try:
        plenty_events.decode(body, strict=strict)
    except plenty_events.DecodeError:
        pass
    print("decoded")
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("shape", ["zeros", "empty-objects", "objects", "nested"])
def test_one_mebibyte_body_decodes_under_an_address_space_limit(shape: str, strict: bool) -> None:
    """A 1 MiB body decodes with AS_FACTOR times its size of address space to spare; no MemoryError."""
    mode = "strict" if strict else "lenient"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(AS_FACTOR)],
        input=_body(SHAPES[shape], 1 << 20),
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert (done.returncode, done.stdout.strip()) == (0, b"decoded"), done.stderr[-2000:]
