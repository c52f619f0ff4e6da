"""plenty_events.countries: the plentymarkets country-ID table, validation and normalisation."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import iso3166
import pytest

import plenty_events
from plenty_events import countries
from plenty_events.testing import sample_payload

#: The domain reference the table was taken from. It is not part of the
#: repository: CI names its folder in PLENTY_EVENTS_REFERENCE, and a checkout
#: may have it beside it.
REFERENCE = (
    Path(os.environ.get("PLENTY_EVENTS_REFERENCE") or Path(__file__).parents[2] / "shared" / "reference")
    / "plenty-country-ids.tsv"
)
PACKAGED = Path(countries.__file__).with_name("plenty-country-ids.tsv")


def test_the_table_has_the_documented_shape():
    """261 rows, IDs 0 to 265 with gaps at 111, 157, 167, 251 and 257."""
    table = countries.table()
    assert len(table) == 261
    assert set(range(266)) - set(table) == {111, 157, 167, 251, 257}


@pytest.mark.skipif(
    not REFERENCE.exists() and "PLENTY_EVENTS_REFERENCE" not in os.environ,
    reason="the domain reference is not in this checkout: name its folder in PLENTY_EVENTS_REFERENCE",
)
def test_the_packaged_table_is_the_reference_list():
    """The table shipped in the package is the reference list, row for row (a named folder must hold it)."""
    assert PACKAGED.read_text("utf-8") == REFERENCE.read_text("utf-8")


def test_the_table_keeps_the_quirks_of_its_source():
    """ID 0 is Unknown '--'; 258 to 260 carry alpha-3 codes, as plentymarkets lists them."""
    assert countries.by_id(0) == countries.PlentyCountry(0, "--", "Unknown")
    assert [countries.by_id(i).code for i in (258, 259, 260)] == ["CUW", "SXM", "BES"]
    assert countries.by_id(265).code == "XI"


@pytest.mark.parametrize(("code", "plenty_id"), [("DE", 1), ("ES", 8), ("GR", 13), ("IT", 15), ("EA", 42), ("XI", 265)])
def test_main_id_is_the_lowest_id_of_a_code(code, plenty_id):
    """Of several IDs for one code, the lowest is the main country."""
    assert countries.main_id(code) == plenty_id


def test_unknown_ids_and_codes_raise_key_error():
    """Lookups of what is not in the table raise KeyError."""
    with pytest.raises(KeyError):
        countries.by_id(111)
    with pytest.raises(KeyError):
        countries.main_id("QQ")


def test_every_two_letter_plentymarkets_code_is_iso_or_a_documented_extra():
    """The table's two-letter codes are ISO 3166-1 codes, but for the documented XZ, IC, EA, XI and AN."""
    assert countries.plenty_codes() - countries.iso_codes() == {"XZ", "IC", "EA", "XI", "AN"}


def test_the_iso_list_comes_from_iso3166_without_user_assigned_codes():
    """Officially assigned codes only: iso3166's XK (user-assigned) is left out."""
    listed = {country.alpha2 for country in iso3166.countries}
    assert countries.iso_codes() == listed - {"XK"}
    assert len(countries.iso_codes()) == 249


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("DE", True),
        ("XI", True),
        ("AN", True),
        ("de", False),
        ("DEU", False),
        ("XK", False),
        ("--", False),
        ("", False),
    ],
)
def test_is_valid_is_the_strict_rule(code, valid):
    """is_valid accepts exactly the uppercase ISO and plentymarkets two-letter codes."""
    assert countries.is_valid(code) is valid
    assert (code in countries.valid_codes()) is valid


def test_valid_codes_are_iso_and_plentymarkets_codes():
    """valid_codes() is the union of the ISO and the plentymarkets two-letter codes, and nothing else."""
    assert countries.valid_codes() == countries.iso_codes() | countries.plenty_codes()
    assert all(len(code) == 2 and code.isupper() for code in countries.valid_codes())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("DE", ("DE", None)),
        (" de\t", ("DE", "country_normalized")),
        ("deu", ("DE", "country_alpha3")),
        ("CUW", ("CW", "country_alpha3")),
        ("SXM", ("SX", "country_alpha3")),
        ("BES", ("BQ", "country_alpha3")),
        ("XKX", ("XKX", "country_unknown")),
        ("276", ("276", "country_unknown")),
        ("Germany", ("GERMANY", "country_unknown")),
    ],
)
def test_normalize_repairs_case_whitespace_and_alpha3(value, expected):
    """Normalize fixes case and whitespace, maps alpha-3 to alpha-2, and keeps unknown codes."""
    assert countries.normalize(value) == expected


def test_the_table_loads_from_a_zipped_package(tmp_path):
    """The packaged table is read through the module's loader, so a zipped package works too."""
    package = Path(plenty_events.__file__).parent
    archive = tmp_path / "packages.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in package.rglob("*"):
            if file.is_file() and "__pycache__" not in file.parts:
                zipped.write(file, Path("plenty_events") / file.relative_to(package))
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from plenty_events import countries;"
        "assert '.zip' in countries.__file__; print(len(countries.table()), countries.is_valid('XI'))"
    )
    done = subprocess.run([sys.executable, "-c", code, str(archive)], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["261", "True"]


# Long s, dotless i, the "st" ligature, "dž", fullwidth letters: each uppercases
# to ASCII letters under Unicode's rules, or is Unicode whitespace.
@pytest.mark.parametrize(
    "text", ["ß", "\u017fe", "\u0131t", "\ufb06", "\u01c6", "\u00a0DE", "DE\u3000", "\uff24\uff25"]
)
def test_lenient_country_repair_reads_ascii_case_and_whitespace_only(text):
    """Unicode case mappings ("ß" to "SS") and non-ASCII spaces repair no country: country_unknown."""
    code, repair = countries.normalize(text)
    assert repair == "country_unknown"
    assert code not in countries.valid_codes()
    payload = sample_payload()
    payload["resource"]["address"]["country"] = text
    event = plenty_events.decode(payload)
    assert [r.code for r in event.repairs] == ["country_unknown"]


@pytest.mark.parametrize(("text", "code"), [(" de ", "DE"), ("\tuS\r\n", "US"), ("xi", "XI"), (" deu ", "DE")])
def test_lenient_country_repair_still_reads_ascii_case_and_whitespace(text, code):
    """ASCII case and ASCII whitespace around a code are still repaired."""
    assert countries.normalize(text)[0] == code


def test_plenty_country_is_the_class_of_the_table_rows():
    """countries.PlentyCountry, defined on first access, is the class of every row of the table."""
    assert {type(row) for row in countries.table().values()} == {countries.PlentyCountry}


def test_unknown_attributes_of_countries_raise_attribute_error():
    """The lazy PlentyCountry lookup leaves other names to AttributeError."""
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = countries.nope  # type: ignore[attr-defined]
