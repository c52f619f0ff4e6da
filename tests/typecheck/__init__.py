"""Files that the type checkers read, to hold the public API's types."""
