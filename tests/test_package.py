"""The package root: its exports and its version."""

import subprocess
import sys
from importlib.metadata import version

import pytest

import plenty_events


def test_version_is_the_distribution_version():
    """__version__ is the installed distribution's version, from its metadata."""
    assert plenty_events.__version__ == version("plenty-events")


def test_unknown_attributes_raise_attribute_error():
    """The lazy __version__ lookup leaves other names to AttributeError."""
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = plenty_events.nope  # type: ignore[attr-defined]


def test_all_is_sorted_and_complete():
    """__all__ is sorted, and every name in it can be imported."""
    assert plenty_events.__all__ == sorted(plenty_events.__all__)
    for name in plenty_events.__all__:
        assert getattr(plenty_events, name) is not None


#: What a decode needs not: imported on first use, never by ``import plenty_events``.
DEFERRED_MODULES = (
    "plenty_events._codes",
    "plenty_events._decoder",
    "plenty_events._encode",
    "plenty_events._explain",
    "plenty_events._lines",
    "plenty_events._plenty_country",
    "plenty_events._redact",
    "plenty_events._schema",
    "plenty_events._walk",
)


def _loaded_after(code):
    """The deferred modules that a fresh interpreter has imported after running ``code``."""
    script = f"import sys\n{code}\nprint(' '.join(m for m in {DEFERRED_MODULES!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, check=True, text=True).stdout.split()


def test_import_and_valid_decode_leave_the_deferred_modules_unimported():
    """Importing the package and decoding a valid payload import no module that only other work needs."""
    code = (
        "import plenty_events\n"
        "from plenty_events.testing import sample_payload, to_json\n"
        "plenty_events.decode(to_json(sample_payload()), strict=True)\n"
    )
    assert _loaded_after(code) == []


def test_deferred_exports_import_their_module_on_first_access():
    """`from plenty_events import encode` imports the encoder then, and a failed decode the explaining road."""
    code = (
        "from plenty_events import encode\n"
        "import plenty_events\n"
        "try:\n"
        "    plenty_events.decode(b'{}')\n"
        "except plenty_events.DecodeError:\n"
        "    pass\n"
    )
    assert _loaded_after(code) == ["plenty_events._encode", "plenty_events._explain", "plenty_events._walk"]


@pytest.mark.parametrize("name", plenty_events.__all__)
def test_dir_lists_every_export(name):
    """dir() of the package lists each name of __all__, deferred or not."""
    assert name in dir(plenty_events)


def test_a_deferred_export_is_the_defining_module_object():
    """A deferred export is the object its module defines, the same on every access."""
    from plenty_events import _lines  # noqa: PLC0415 -- the module itself, after the package

    assert plenty_events.decode_lines is _lines.decode_lines
    assert plenty_events.decode_lines is plenty_events.decode_lines
