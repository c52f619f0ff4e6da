"""Country codes: validation, normalisation and the plentymarkets country-ID table.

An address carries `country` as a two-letter code. Strict decoding accepts
an officially assigned ISO 3166-1 alpha-2 code (from the `iso3166`
package) or one of the codes of plentymarkets' own country list, which has a
few that ISO does not assign: `XI` Northern Ireland, `IC` Canary Islands,
`EA` Ceuta and Melilla, `XZ` Kosovo, and the withdrawn `AN` Netherlands
Antilles. Rejecting those would reject real customers.

Examples:
    >>> from plenty_events import countries
    >>> countries.is_valid("XI"), countries.is_valid("de")
    (True, False)
    >>> countries.normalize(" aut ")
    ('AT', 'country_alpha3')
    >>> countries.by_id(265)
    PlentyCountry(id=265, code='XI', name='Northern Ireland')
    >>> countries.main_id("DE")
    1
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Final, cast

import iso3166

if TYPE_CHECKING:
    from typing import Protocol

    from ._plenty_country import PlentyCountry

    class _DataLoader(Protocol):
        def get_data(self, path: str) -> bytes: ...


__all__ = [
    "PlentyCountry",
    "by_id",
    "is_valid",
    "iso_codes",
    "main_id",
    "normalize",
    "plenty_codes",
    "table",
    "valid_codes",
]

# XK (Kosovo) is a user-assigned code, not an officially assigned one, even
# though iso3166 lists it; plentymarkets uses XZ for Kosovo.
_NOT_OFFICIAL: Final = frozenset({"XK"})

# Normalisation reads ASCII only: str.upper() and str.strip() follow Unicode,
# under which "ß" is "SS" (South Sudan), "\u017fe" (long s) "SE" and
# "\u0131t" (dotless i) "IT", and a no-break space is whitespace. A code with
# such characters is unknown.
_ASCII_SPACE: Final = " \t\n\r\x0b\x0c"
_ASCII_UPPER: Final = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def __getattr__(name: str) -> object:
    # PlentyCountry is an attrs class, defined on first access: only the
    # table of IDs needs it, not the codes that decoding checks, and
    # building the class is part of every import that decodes.
    if name == "PlentyCountry":
        from ._plenty_country import PlentyCountry  # noqa: PLC0415

        return PlentyCountry
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def table() -> dict[int, PlentyCountry]:
    """Return plentymarkets' country list, keyed by country ID.

    The list has 261 rows, IDs 0 to 265 with gaps. Several IDs can share a
    code (`DE` is 1, 255 and 256); the lowest is the main country.
    """
    from ._plenty_country import PlentyCountry  # noqa: PLC0415 -- see __getattr__

    return {int(plenty_id): PlentyCountry(int(plenty_id), code, name) for plenty_id, code, name in _rows()}


@functools.cache
def _rows() -> list[list[str]]:
    """The rows of plentymarkets' country list as text: ID, code, name."""
    # What pkgutil.get_data() does, without its imports: ask the loader of
    # this module for a file beside it, which works from a zip too.
    # importlib.resources would import more than all of decoding does.
    # os.path, not pathlib: nothing imports pathlib before the first decode.
    path = os.path.join(os.path.dirname(__file__), "plenty-country-ids.tsv")  # noqa: PTH118, PTH120
    text = cast("_DataLoader", __spec__.loader).get_data(path).decode("utf-8")
    return [line.split("\t") for line in text.splitlines()[1:] if line]


def by_id(plenty_id: int) -> PlentyCountry:
    """Return the country with plentymarkets country ID `plenty_id`.

    Raises:
        KeyError: No country has that ID.
    """
    return table()[plenty_id]


@functools.cache
def _main_ids() -> dict[str, int]:
    ids: dict[str, int] = {}
    for country in sorted(table().values(), key=lambda c: c.id, reverse=True):
        ids[country.code] = country.id
    return ids


def main_id(code: str) -> int:
    """Return the main (lowest) plentymarkets country ID of `code`.

    Raises:
        KeyError: plentymarkets' list has no such code.
    """
    return _main_ids()[code]


@functools.cache
def iso_codes() -> frozenset[str]:
    """Return the officially assigned ISO 3166-1 alpha-2 codes."""
    return frozenset(country.alpha2 for country in iso3166.countries) - _NOT_OFFICIAL


@functools.cache
def plenty_codes() -> frozenset[str]:
    """Return the two-letter codes of plentymarkets' list (without `--`)."""
    # From the rows, not table(): strict decoding needs the codes, not 261 objects.
    return frozenset(code for _, code, _ in _rows() if len(code) == 2 and code.isalpha())


@functools.cache
def valid_codes() -> frozenset[str]:
    """Return every code strict decoding accepts: ISO's and plentymarkets' two-letter codes."""
    return iso_codes() | plenty_codes()


def is_valid(code: str) -> bool:
    """Tell whether strict decoding accepts `code`: exact, uppercase, two letters."""
    return code in valid_codes()


def normalize(value: str) -> tuple[str, str | None]:
    """Normalise a country code the way lenient decoding does.

    Returns:
        The code and the repair made, one of `None` (already valid),
            `"country_normalized"` (ASCII whitespace around it, or ASCII
            lowercase letters), `"country_alpha3"` (an ISO alpha-3 code such
            as `DEU`, or plentymarkets' `CUW`, `SXM` and `BES`, mapped to
            alpha-2) or `"country_unknown"` (not a known code: returned
            stripped and uppercased, ASCII only, kept rather than guessed
            at). Unicode case and whitespace are not read: `"ß"` is not `"SS"`.

    Examples:
        >>> from plenty_events import countries
        >>> countries.normalize("ß")
        ('ß', 'country_unknown')
    """
    if value in valid_codes():
        return value, None
    code = value.strip(_ASCII_SPACE).translate(_ASCII_UPPER)
    if code in valid_codes():
        return code, "country_normalized"
    country = iso3166.countries_by_alpha3.get(code)
    if country is not None and country.alpha2 in valid_codes():
        return country.alpha2, "country_alpha3"
    return code, "country_unknown"
