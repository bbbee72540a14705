"""POLICY S2: Unicode and control-character gate, run first on the raw strings.

Hostile characters are rejected, never silently stripped: stripping turns `13<BS>2` into a number
and `=`+U+0338 (displayed as ≠) into `=`. Pure Python, no sympy.
"""

from __future__ import annotations

import re
import unicodedata

from .errors import CheckError

# C0 except \t \n \r (\r is checked separately), DEL and C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BARE_CR = re.compile(r"\r(?!\n)")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
# Zero-width characters and the soft hyphen carry no meaning in an answer: we remove them (S2.2).
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")

_SUPERSCRIPTS = {
    "⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4",
    "⁵": "5", "⁶": "6", "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-", "⁺": "+",
}  # fmt: skip
_SUPER_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_VULGAR = {
    "½": "1/2", "⅓": "1/3", "⅔": "2/3", "¼": "1/4", "¾": "3/4", "⅕": "1/5", "⅖": "2/5",
    "⅗": "3/5", "⅘": "4/5", "⅙": "1/6", "⅚": "5/6", "⅐": "1/7", "⅛": "1/8", "⅜": "3/8",
    "⅝": "5/8", "⅞": "7/8", "⅑": "1/9", "⅒": "1/10",
}  # fmt: skip
_VULGAR_RE = re.compile("[" + "".join(_VULGAR) + "]")
# Characters NFKC would fold into plain letters although they mean something else.
_PRE_NFKC = {"ℝ": r"\mathbb{R}", "⁄": "/", "∕": "/"}


def gate(text: str) -> str:
    """Reject hostile characters, then map superscripts/vulgar fractions and apply NFKC.

    Raises CheckError("control_char" | "bad_unicode").
    """
    if _SURROGATE.search(text):
        raise CheckError("bad_unicode", "lone surrogate")
    if _CONTROL.search(text) or _BARE_CR.search(text):
        raise CheckError("control_char")
    if text.isascii():
        return text
    if _BIDI.search(text):
        raise CheckError("bad_unicode", "bidi control")
    for ch in text:
        if ord(ch) > 0x7F and unicodedata.category(ch) in ("Mn", "Me"):
            raise CheckError("bad_unicode", "combining mark")
    text = _ZERO_WIDTH.sub("", text)
    # Before NFKC: NFKC turns 2⁵ into 25 and 3¾ into 33⁄4.
    text = _SUPER_RUN.sub(lambda m: "^{" + "".join(_SUPERSCRIPTS[c] for c in m.group()) + "}", text)
    text = _VULGAR_RE.sub(lambda m: " " + _VULGAR[m.group()] + " ", text)
    for k, v in _PRE_NFKC.items():
        text = text.replace(k, v)
    text = unicodedata.normalize("NFKC", text)
    if not text.isascii():
        # Non-ASCII decimal digits (e.g. Devanagari) are mapped on purpose (S2.5): they are digits.
        text = "".join(
            str(unicodedata.decimal(c)) if ord(c) > 0x7F and unicodedata.category(c) == "Nd" else c
            for c in text
        )
    return text.replace("\u2212", "-")
