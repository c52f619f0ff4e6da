"""Models for event types the library does not know, registered by integrators.

A registered model is an attrs class for the whole event (``id``, ``type``,
``created_at``, ``resource``, and whatever the resource holds). cattrs
structures it: its generated per-class functions do the walking, with each
field's wire key from its ``wire`` metadata or, by default, its name in
camelCase. The values follow the strict rules of the built-in model in both
modes (a JSON integer for ``int``, integer Unix seconds for ``datetime``, a
number for ``Decimal``); lenient mode differs only in ignoring unknown keys.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, cast

import attrs

from . import _strict
from ._encode import wire_name
from ._json import INVALID
from ._model import Kind
from ._report import ROOT, Report, index_path, key_path

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    import cattrs

    from ._decode import ModelDecoder
    from ._strict import Rule
    from ._walk import Mode

    # A strict rule, as called on a lone value rather than on a member of an object.
    _ValueRule = Callable[[object, str, str | int | None, Report], object]


class _RuleError(ValueError):
    """A value broke a strict rule; carries the rule's code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _hook(rule: Rule) -> Any:
    def structure(value: object, _: object) -> object:
        report = Report()
        # Each rule reports at the member ``key`` of ``parent`` through
        # member_path, where None names ``parent`` itself: here the value.
        result = cast("_ValueRule", rule)(value, ROOT, None, report)
        if result is INVALID:
            error = report.errors()[0]
            raise _RuleError(error.code, error.message)
        return result

    return structure


def _boolean(value: object, _: object) -> bool:
    if type(value) is not bool:
        raise _RuleError("bool_type", "expected a boolean")
    return value


_SCALARS: Final[dict[type, Kind]] = {
    str: Kind.TEXT,
    int: Kind.INTEGER,
    Decimal: Kind.DECIMAL,
    datetime: Kind.TIMESTAMP,
}


@functools.cache
def _converter(*, forbid_extra_keys: bool) -> cattrs.Converter:
    # Imported on first use, like the encoder's: only registered models need it.
    import cattrs  # noqa: PLC0415
    from cattrs.gen import make_dict_structure_fn, override  # noqa: PLC0415

    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=forbid_extra_keys)
    for cls, kind in _SCALARS.items():
        converter.register_structure_hook(cls, _hook(_strict.RULES[kind]))
    converter.register_structure_hook(bool, _boolean)

    def attrs_hook(cls: type[Any]) -> Any:
        renames: dict[str, Any] = {field.name: override(rename=wire_name(field)) for field in attrs.fields(cls)}
        return make_dict_structure_fn(cls, converter, _cattrs_forbid_extra_keys=forbid_extra_keys, **renames)

    converter.register_structure_hook_factory(attrs.has, attrs_hook)
    return converter


def _wire_key(cls: type, name: str) -> str:
    return wire_name(attrs.fields_dict(cls)[name])


def _flatten(exc: BaseException, cls: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """Turn cattrs' grouped errors into (wire path, code, message)."""
    from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError  # noqa: PLC0415

    if isinstance(exc, ClassValidationError):
        with_notes, without = exc.group_exceptions()
        for inner, note in with_notes:
            yield from _flatten(inner, note.type, key_path(path, _wire_key(cls, note.name)))
        for inner in without:
            yield from _flatten(inner, cls, path)
    elif isinstance(exc, IterableValidationError):
        items, rest = exc.group_exceptions()
        for inner, item in items:
            yield from _flatten(inner, item.type, index_path(path, int(item.index)))
        for inner in rest:  # pragma: no cover -- cattrs notes the index of every item
            yield from _flatten(inner, cls, path)
    elif isinstance(exc, ForbiddenExtraKeysError):
        for key in sorted(exc.extra_fields):
            yield key_path(path, key), "extra_forbidden", "the key is not part of the wire format"
    elif isinstance(exc, KeyError):
        yield path, "missing", "the key is required"
    elif isinstance(exc, _RuleError):
        yield path, exc.code, exc.message
    else:
        yield path, "invalid", f"the value does not fit the model ({type(exc).__name__})"


def model_decoder(model: type) -> ModelDecoder:
    """Return a decoder for the envelope of a registered attrs ``model``."""
    if not attrs.has(model):
        raise TypeError(f"{model!r} is not an attrs class")

    def decode(envelope: dict[str, object], mode: Mode, report: Report) -> object:
        converter = _converter(forbid_extra_keys=mode is _strict)
        try:
            return converter.structure(envelope, model)
        except Exception as exc:  # noqa: BLE001 -- every cattrs failure becomes a wire-path error
            for path, code, message in _flatten(exc, model, ROOT):
                report.error(path, code, message)
            return INVALID

    return decode


def validate_models(models: Mapping[str, type]) -> dict[str, ModelDecoder]:
    """Check the registrations and return a decoder per event type."""
    return {event_type: model_decoder(model) for event_type, model in models.items()}
