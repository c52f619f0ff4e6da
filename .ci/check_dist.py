"""Check the built wheel and sdist: what they hold, their extras, and a version PyPI accepts.

Usage: python .ci/check_dist.py DIST_DIR, from a git checkout (the version is
checked against the tag of the commit, if it has one).
"""

import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path
from typing import NoReturn

import trove_classifiers
from packaging.utils import parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
# The extras users install. Development tools are dependency groups, which
# are not published; an extra that appears here by mistake would be.
USER_EXTRAS = {"testing", "fastapi", "flask", "django", "plentymarkets", "postgres"}


def fail(message: str) -> NoReturn:
    """Stop with the reason."""
    sys.exit(f"check_dist: {message}")


def only(paths: list[Path], kind: str) -> Path:
    """The one path of ``paths``."""
    if len(paths) != 1:
        fail(f"expected one {kind}, found {[path.name for path in paths]}")
    return paths[0]


def metadata(text: bytes) -> Message:
    """Core metadata (METADATA, PKG-INFO), parsed."""
    return Parser().parsestr(text.decode("utf-8"))


def pypi_version(text: str, where: str) -> Version:
    """The version, if PyPI accepts it: valid PEP 440, normalised, no local segment."""
    try:
        version = Version(text)
    except InvalidVersion:
        fail(f"{where}: {text!r} is not a PEP 440 version")
    if version.local is not None:
        fail(f"{where}: {text!r} has a local segment (+{version.local}), which PyPI refuses")
    if str(version) != text:
        fail(f"{where}: {text!r} is not in normal form ({version})")
    return version


def release_tag() -> str | None:
    """The vX.Y.Z tag of the checked-out commit, or None."""
    result = subprocess.run(
        ["git", "describe", "--tags", "--exact-match", "--match", "v[0-9]*", "HEAD"],  # noqa: S607 -- git from PATH
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return result.stdout.strip()
    if "no tag exactly matches" in result.stderr or "No names found" in result.stderr:
        return None
    fail(f"git describe failed: {result.stderr.strip()}")


dist = Path(sys.argv[1])
wheel_path = only(sorted(dist.glob("*.whl")), "wheel")
sdist_path = only(sorted(dist.glob("*.tar.gz")), "sdist")

with zipfile.ZipFile(wheel_path) as wheel:
    names = wheel.namelist()
    wheel_metadata = metadata(wheel.read(next(name for name in names if name.endswith(".dist-info/METADATA"))))
for needed in ["plenty_events/py.typed", "plenty_events/plenty-country-ids.tsv", "plenty_events/__init__.py"]:
    if needed not in names:
        fail(f"the wheel lacks {needed}")

with tarfile.open(sdist_path) as sdist:
    names = sdist.getnames()
    top = names[0].split("/")[0]
    info = sdist.extractfile(f"{top}/PKG-INFO")
    if info is None:
        fail("the sdist has no PKG-INFO")
    sdist_metadata = metadata(info.read())
for needed in [
    "tests/test_decode_strict.py",
    "docs/rules.md",
    "examples/service-purchase.json",
    "bench/peer_pydantic_minimal.py",  # the performance page includes its models
    "LICENSE",
]:
    if not any(name.endswith(needed) for name in names):
        fail(f"the sdist lacks {needed}")

version = pypi_version(wheel_metadata["Version"], "the wheel's metadata")
for where, other in [
    ("the sdist's metadata", sdist_metadata["Version"]),
    ("the wheel's file name", str(parse_wheel_filename(wheel_path.name)[1])),
    ("the sdist's file name", str(parse_sdist_filename(sdist_path.name)[1])),
]:
    if pypi_version(other, where) != version:
        fail(f"{where} says {other}, the wheel's metadata {version}")

tag = release_tag()
if tag is None:
    # Between releases hatch-vcs makes X.Y.(Z+1).devN: it must never look like a release.
    if not version.is_devrelease:
        fail(f"{version} was built from an untagged commit but is not a .dev version")
elif tag != f"v{version}":
    fail(f"the commit is tagged {tag}, but the version is {version} (uncommitted changes?)")

for name, data in [("wheel", wheel_metadata), ("sdist", sdist_metadata)]:
    extras = set(data.get_all("Provides-Extra") or [])
    if extras != USER_EXTRAS:
        fail(f"the {name} publishes the extras {sorted(extras)}; users install only {sorted(USER_EXTRAS)}")

# PyPI refuses an upload with a classifier it does not know.
unknown = [c for c in wheel_metadata.get_all("Classifier") or [] if c not in trove_classifiers.classifiers]
if unknown:
    fail(f"classifiers PyPI does not know: {unknown}")
for prefix in ("Framework :: ", "Topic :: "):
    if not any(c.startswith(prefix) for c in wheel_metadata.get_all("Classifier") or []):
        fail(f"no {prefix.strip(': ')} classifier: users search PyPI by them")

print(f"the wheel and the sdist of {version} hold what they should" + (f", the release tagged {tag}" if tag else ""))
