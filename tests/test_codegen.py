"""Source and patterns compiled at run time: the lazily compiled regular expressions."""

import re

from plenty_events._codegen import lazy_pattern


def test_lazy_pattern_matches_as_the_compiled_pattern_does():
    """Each method of a lazy pattern gives what the compiled pattern's gives."""
    lazy, compiled = lazy_pattern(r"([a-z])([0-9])"), re.compile(r"([a-z])([0-9])")
    text = "a1 b2 c"
    assert lazy.findall(text) == compiled.findall(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in compiled.finditer(text)]
    assert lazy.fullmatch("a1") is not None
    assert lazy.fullmatch(text) is None
    assert lazy.match(text).group(2) == "1"  # type: ignore[union-attr]  # it matched: asserted by the value
    assert lazy.search("  b2").span() == (2, 4)  # type: ignore[union-attr]
    assert lazy.split(text) == compiled.split(text)
    assert lazy.sub(r"\2\1", text) == "1a 2b c"
    assert lazy.subn(r"\2", text) == ("1 2 c", 2)
    assert (lazy.pattern, lazy.groups, lazy.flags) == (compiled.pattern, compiled.groups, compiled.flags)


def test_lazy_pattern_compiles_on_first_use_and_binds_its_methods_once():
    """Nothing is compiled before the first use; after it, the methods are the compiled pattern's own."""
    lazy = lazy_pattern("[0-9]+")
    assert "_compiled" not in vars(lazy)
    assert repr(lazy) == "lazy_pattern('[0-9]+')"
    assert lazy.match("2017") is not None
    compiled = vars(lazy)["_compiled"]
    assert vars(lazy)["match"] == compiled.match
    assert lazy.match is lazy.match  # held, not looked up again
    assert lazy.pattern == "[0-9]+"
    assert vars(lazy)["_compiled"] is compiled
