"""plenty_events.testing: each kind of change invalid_payloads() promises does occur."""

import pytest
from hypothesis import Phase, find, settings

import plenty_events
from plenty_events.testing import Invalid, invalid_payloads, to_json

KINDS = {
    # An unknown key is one change in 25, and 100 examples miss it about one
    # run in four (which left the branch that adds it uncovered): each kind is
    # searched for here rather than left to chance.
    "an unknown key added": lambda invalid: invalid.path.endswith(".unexpectedKey"),
    "a removed key": lambda invalid: invalid.code == "missing",
    "a wrong value": lambda invalid: invalid.code not in {"missing", "extra_forbidden"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_invalid_payloads_makes_each_kind_of_change(kind):
    """invalid_payloads() yields each kind of change, and strict decoding reports it where it says."""
    invalid: Invalid = find(
        invalid_payloads(max_items=1),
        KINDS[kind],
        settings=settings(max_examples=5000, database=None, phases=[Phase.generate]),
    )
    with pytest.raises(plenty_events.DecodeError) as caught:
        plenty_events.decode(to_json(invalid.payload), strict=True)
    assert [(error.path, error.code) for error in caught.value.errors] == [(invalid.path, invalid.code)]
