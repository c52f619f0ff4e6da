"""The extras users install: each integration's extra brings every package the integration imports."""

from __future__ import annotations

import ast
import importlib.util
import sys
from importlib.metadata import distribution, packages_distributions, requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

#: The integration module of each framework extra.
INTEGRATIONS = {
    "fastapi": "plenty_events.receiver.fastapi",
    "flask": "plenty_events.receiver.flask",
    "django": "plenty_events.receiver.django",
}


def _closure(names: set[str]) -> set[str]:
    """The distributions ``names`` install, with everything they require (without extras), normalised."""
    seen: set[str] = set()
    todo = [name.lower().replace("_", "-") for name in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for text in requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name.lower().replace("_", "-"))
    return seen


def _imported(module: str) -> set[str]:
    """The top-level names the module imports, at run time or for type checking, but its own package's."""
    spec = importlib.util.find_spec(module)
    assert spec is not None
    assert spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return {name for name in names if name not in sys.stdlib_module_names and name != "plenty_events"}


@pytest.mark.parametrize("extra", sorted(INTEGRATIONS))
def test_each_framework_extra_installs_what_its_integration_imports(extra):
    """plenty-events[fastapi], [flask] and [django] require each package their integration module imports."""
    meta = distribution("plenty-events").metadata
    assert extra in (meta.get_all("Provides-Extra") or [])
    required = {
        Requirement(text).name
        for text in meta.get_all("Requires-Dist") or []
        if Requirement(text).marker is not None and Requirement(text).marker.evaluate({"extra": extra})
    }
    assert extra in {name.lower() for name in required}
    installed = _closure(required)
    providers = packages_distributions()
    for name in _imported(INTEGRATIONS[extra]):
        assert {dist.lower() for dist in providers[name]} & installed, f"{name} is not installed by [{extra}]"
