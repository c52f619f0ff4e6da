"""The row of plentymarkets' country list: ``PlentyCountry``, which ``countries`` exports.

Defined apart, and imported on first access (``countries.table()`` or
``countries.PlentyCountry``): decoding needs the codes only.
"""

from __future__ import annotations

import attrs


@attrs.frozen
class PlentyCountry:
    """One row of plentymarkets' country-ID list.

    Attributes:
        id: The plentymarkets country ID.
        code: The code plentymarkets gives it, as it stands in the list:
            mostly ISO alpha-2, `--` for ID 0 ("Unknown"), and the alpha-3
            codes `CUW`, `SXM` and `BES` for IDs 258 to 260.
        name: The English name.
    """

    id: int
    code: str
    name: str
