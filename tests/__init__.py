"""The tests of plenty-events: a package that mirrors the library's."""
