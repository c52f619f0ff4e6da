"""Check that the built wheel and sdist hold what users and packagers need."""

import sys
import tarfile
import zipfile
from pathlib import Path

dist = Path(sys.argv[1])
with zipfile.ZipFile(next(dist.glob("*.whl"))) as wheel:
    names = wheel.namelist()
for needed in ["plenty_events/py.typed", "plenty_events/plenty-country-ids.tsv", "plenty_events/__init__.py"]:
    if needed not in names:
        sys.exit(f"the wheel lacks {needed}")
with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
    names = sdist.getnames()
for needed in ["tests/test_decode_strict.py", "docs/rules.md", "examples/service-purchase.json", "LICENSE"]:
    if not any(name.endswith(needed) for name in names):
        sys.exit(f"the sdist lacks {needed}")
print("the wheel and the sdist hold what they should")
