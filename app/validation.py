"""Field types shared by the request models: no control characters, no coercion.

The database driver refuses U+0000 at bind time, and the other C0 characters (and DEL)
have no place in names, addresses or references: they are refused as a 422 naming the
field, before any connection is taken.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StrictInt

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (U+0000-U+001F, U+007F)")
    return value


def _iso_date_only(value: Any) -> Any:
    if isinstance(value, date):
        return value  # built in code, not from a request
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be a date string like 1984-02-29")
    return value


#: Text without control characters.
CleanText = AfterValidator(no_control_characters)
#: A date only from an ISO 8601 ``YYYY-MM-DD`` string: never a number or a timestamp.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only)]
#: An integer only from a JSON integer: never ``true``, ``"100"`` or ``100.0``.
JsonInt = StrictInt
