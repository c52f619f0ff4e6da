"""Source and patterns compiled at run time: the lazily compiled regular expressions."""

import re

import pytest

from plenty_events._codegen import LazyPattern, lazy_pattern


def test_lazy_pattern_matches_as_the_compiled_pattern_does():
    """Each method a lazy pattern declares gives what the compiled pattern's gives."""
    lazy, compiled = lazy_pattern(r"([a-z])([0-9])"), re.compile(r"([a-z])([0-9])")
    text = "a1 b2 c"
    assert lazy.findall(text) == compiled.findall(text)
    assert lazy.fullmatch("a1") is not None
    assert lazy.fullmatch(text) is None
    assert lazy.match(text).group(2) == "1"  # type: ignore[union-attr]  # it matched: asserted by the value
    assert lazy.search("  b2").span() == (2, 4)  # type: ignore[union-attr]
    assert lazy.sub(r"\2\1", text) == "1a 2b c"
    assert lazy.sub(lambda match: match.group(2), text) == "1 2 c"
    assert lazy.pattern == compiled.pattern


def test_lazy_pattern_declares_each_method_it_binds():
    """The methods bound on first use are the declared ones, each a compiled pattern's method of that name."""
    lazy = lazy_pattern("[0-9]+")
    lazy.match("2017")
    bound = {name: value for name, value in vars(lazy).items() if name != "pattern"}
    assert set(bound) == set(LazyPattern.__annotations__)
    assert all(method.__name__ == name and method.__self__.pattern == "[0-9]+" for name, method in bound.items())


def test_lazy_pattern_compiles_on_first_use_and_binds_its_methods_once():
    """Nothing is compiled before the first use; after it, the methods are one compiled pattern's own."""
    lazy = lazy_pattern("[0-9]+")
    assert vars(lazy) == {"pattern": "[0-9]+"}
    assert repr(lazy) == "lazy_pattern('[0-9]+')"
    assert lazy.match("2017") is not None
    held = vars(lazy)
    compiled = held["match"].__self__
    assert lazy.match is held["match"]  # held, not looked up again
    lazy.fullmatch("1")
    assert vars(lazy) == held  # not compiled again
    assert all(held[name].__self__ is compiled for name in LazyPattern.__annotations__)


def test_lazy_pattern_has_no_other_attribute():
    """An attribute it does not declare is an AttributeError, and compiles nothing."""
    lazy = lazy_pattern("[0-9]+")
    with pytest.raises(AttributeError, match="'split'"):
        lazy.split  # noqa: B018 -- the read is the test
    assert vars(lazy) == {"pattern": "[0-9]+"}
