"""Names are shown on screens, in e-mails and in exports: no invisible characters in them."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

# Characters that change the direction of the text around them: a name holding one can
# show as something else (a right-to-left override turns "doc.exe" round).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
NAME_MESSAGE = (
    "This name holds a hidden control or text-direction character, perhaps from "
    "copying and pasting. Please type the name again."
)


@deconstructible
class NameCharactersValidator:
    """Refuse control characters (Unicode category Cc: tabs, line breaks, escapes) and
    text-direction overrides in a name."""

    code = "name_characters"

    def __call__(self, value) -> None:
        text = str(value or "")
        if any(ch in BIDI_CONTROLS or unicodedata.category(ch) == "Cc" for ch in text):
            raise ValidationError(NAME_MESSAGE, code=self.code)

    def __eq__(self, other) -> bool:
        return isinstance(other, NameCharactersValidator)


validate_name = NameCharactersValidator()
