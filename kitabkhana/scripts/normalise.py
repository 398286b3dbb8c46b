"""The one text normalisation used at index time and at query time.

Cataloguers, publishers and readers type the same word in different ways: Arabic ``ي``/``ك`` on a
Persian title, a vowelled Arabic word against an unvowelled one, ``می‌روم`` with a zero-width
non-joiner against ``میروم``, Russian ``ё`` against ``е``, Turkish ``İSTANBUL`` against
``istanbul``, ``Müller`` against ``Muller``. Both sides of a search go through :func:`normalise`
(and :func:`tokens`), so they meet in the middle. The search index stores nothing else, which is
why any change here needs a full ``kitabkhana reindex``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalise", "tokens"]


def _build_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}

    def put(chars: str, to: str | None) -> None:
        for ch in chars:
            table[ord(ch)] = to

    # Turkish: dotted capital İ would casefold to "i" + U+0307 and dotless ı would stay apart;
    # readers type all of them interchangeably, so every i becomes plain "i".
    put("İIı", "i")
    # Cyrillic ё is optional in ordinary Russian print; readers type е.
    put("Ёё", "е")
    # Arabic letter variants written on Persian (and Urdu) text, folded to the Persian forms.
    put("\u064a\u0649\u0626", "\u06cc")  # ي ى ئ → ی
    put("\u0643", "\u06a9")  # ك → ک
    put("\u0629\u06c0", "\u0647")  # ة ۀ → ه
    put("\u0623\u0625\u0622\u0671\u0672\u0673\u0675", "\u0627")  # أ إ آ ٱ ٲ ٳ ٵ → ا
    put("\u0624", "\u0648")  # ؤ → و
    put("\u0621", None)  # standalone hamza
    # Harakat, tanwin, shadda, sukun, hamza marks, superscript alef, tatweel and Quranic marks:
    # optional in print, so matching must ignore them.
    for cp in [*range(0x064B, 0x0660), 0x0670, 0x0640, *range(0x06D6, 0x06EE)]:
        if cp == 0x0640 or unicodedata.category(chr(cp)) == "Mn":
            table[cp] = None
    # Invisible format characters: ZWNJ joins Persian word parts (می‌روم), the others steer the
    # bidi algorithm. None of them changes the word. A zero-width space does separate words.
    put("\u200c\u200d\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2060\ufeff\u00ad",
        None)
    put("\u200b", " ")
    # Letters with no canonical decomposition that library folding traditionally treats as their
    # base letter (ICU / MARC authority practice).
    for src, dst in {"Łł": "l", "Øø": "o", "Đđð": "d", "Ħħ": "h", "Ææ": "ae", "Œœ": "oe", "Þþ": "th"}.items():
        put(src, dst)
    # Every decimal digit (Persian ۰-۹, Arabic-Indic ٠-٩, Devanagari, …) becomes ASCII so that
    # ۱۳۹۹ and 1399 are the same token; NFKC leaves these alone.
    for cp in _DIGITS:
        table[cp] = str(unicodedata.digit(chr(cp)))
    return table


def _scan() -> tuple[list[int], str]:
    """One pass over the first two Unicode planes: decimal digits, and a regex class of combining marks.

    Marks are taken from the Basic Multilingual Plane only: the supplementary-plane ones belong to
    historic scripts, and a class with ranges outside the BMP makes every regex match twice as slow.
    """
    digits: list[int] = []
    ranges: list[list[int]] = []
    for cp in range(0x80, 0x20000):
        cat = unicodedata.category(chr(cp))
        if cat == "Nd":
            digits.append(cp)
        elif cat in ("Mn", "Mc", "Me") and cp < 0x10000:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    marks = "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return digits, marks


_DIGITS, _MARKS = _scan()
_TABLE = _build_table()

_LATIN = r"A-Za-z\u00c0-\u024f\u1e00-\u1eff\u2c60-\u2c7f\ua720-\ua7ff"
_GREEK = r"\u0370-\u03ff\u1f00-\u1fff"
_CYRILLIC = r"\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"
# Only marks sitting on a Latin, Greek or Cyrillic base are dropped: elsewhere (Devanagari vowel
# signs, kana voicing marks, Hebrew points) a combining mark is part of the letter.
_FOLDABLE_MARKS = re.compile(
    f"(?<=[{_LATIN}{_GREEK}{_CYRILLIC}])[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+"
)
# Cyrillic letters that decompose but are letters of their own (й is not a "и with an accent"
# to a Russian reader); put back together before the marks are dropped.
_CYRILLIC_KEEP = (("и\u0306", "й"), ("і\u0308", "ї"), ("у\u0306", "ў"))


def normalise(text: str) -> str:
    """Fold ``text`` for matching: NFKC, script variants, invisible characters, case, diacritics.

    >>> normalise("كتاب‌هاي")
    'کتابهای'
    >>> normalise("İSTANBUL") == normalise("istanbul") == normalise("ıstanbul")
    True
    """
    if text.isascii():
        # By far the commonest case; NFKC and the tables cannot change ASCII beyond case.
        return text.lower()
    text = unicodedata.normalize("NFKC", text).translate(_TABLE).casefold()
    decomposed = unicodedata.normalize("NFD", text)
    if len(decomposed) == len(text):
        return text
    if "\u0306" in decomposed or "\u0308" in decomposed:
        for parts, letter in _CYRILLIC_KEEP:
            decomposed = decomposed.replace(parts, letter)
    return unicodedata.normalize("NFC", _FOLDABLE_MARKS.sub("", decomposed))


# Han ideographs and Japanese kana: written without spaces between words, so each character is
# its own token. The query side turns a run of them into a phrase of adjacent characters, which
# behaves like a substring search (中国历史 finds 中国历史研究) without a dictionary-based word
# segmenter; bigrams would rank a little better but make one-character queries impossible.
_CJK = r"\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W_{_CJK}](?:[^\\W_{_CJK}]|[{_MARKS}])*")
_ASCII_TOKEN = re.compile("[a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Normalise ``text`` and split it into words: runs of letters, digits and combining marks.

    Everything else (spaces, punctuation, hyphens, apostrophes, underscores) separates words.
    Han characters and kana come out one per token (see the note on ``_CJK``).

    >>> tokens("Al-Fārābī: كتاب الموسيقى")
    ['al', 'farabi', 'کتاب', 'الموسیقی']
    """
    text = normalise(text)
    if text.isascii():
        return _ASCII_TOKEN.findall(text)
    return _TOKEN.findall(text)
