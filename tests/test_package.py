"""The package root: its exports and its version."""

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
