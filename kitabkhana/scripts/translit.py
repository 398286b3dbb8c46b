"""Cross-script consonant skeletons: one key for a title or name whatever script it is written in.

A Persian or Arabic title is written without short vowels; its ALA-LC romanisation writes them, with
diacritics (``Qalāʼid al-Jumān`` for ``قلائد الجمان``). Neither side can be turned into the other
exactly, but both can be reduced to what they share: the sequence of consonants. :func:`skeleton`
maps Arabic-script letters and romanised Latin (and Cyrillic and Greek, through Library of Congress
style transliterations) to one alphabet of consonant classes and drops everything that romanisations and
scripts disagree on:

* vowels, long-vowel letters and glides (ا و ی / a e i o u y w v), ʻayn and hamza (ع ء / ʻ ʼ), and h
  (ه ح / h ḥ), because tāʼ marbūṭah, ḥāʼ and hāʼ are romanised inconsistently between catalogues;
* letters that romanisations of Arabic and Persian spell differently fall into one class:
  ث س ص (th s ṣ s̲), د ذ ز ژ ض ظ (d dh z zh ḍ ż ẓ z̤), ق ک (q k), غ گ (gh g), ت ط (t ṭ);
* a word's final t (ة ت / -at -ah), so construct and pausal forms meet;
* a run of one class counts once (shadda: ``Muḥammad`` and ``محمد`` are both ``md``).

The result is a lossy key for blocking and for a similarity measure, never for display. Pure Python.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from kitabkhana.scripts.normalise import normalise

__all__ = ["skeleton", "skeleton_words", "cyrillic_to_latin", "greek_to_latin"]

_ARABIC: dict[str, str] = {}
for _letters, _cls in {
    "بپ": "b", "تط": "t", "ثسص": "s", "جچ": "j", "خ": "x", "دذزژضظ": "d", "ر": "r", "ش": "c",
    "غگ": "g", "ف": "f", "قکك": "k", "ل": "l", "م": "m", "ن": "n",
}.items():
    for _ch in _letters:
        _ARABIC[_ch] = _cls

# Latin single letters to classes (vowels, glides and h map to nothing).
_LATIN: dict[str, str] = {
    "b": "b", "p": "b", "t": "t", "s": "s", "j": "j", "x": "x", "d": "d", "z": "d", "r": "r", "g": "g",
    "f": "f", "k": "k", "q": "k", "c": "k", "l": "l", "m": "m", "n": "n",
}
_DIGRAPHS = re.compile("shch|sh|kh|gh|zh|dh|th|ch")
_DIGRAPH_CLASS = {"shch": "c", "sh": "c", "kh": "x", "gh": "g", "zh": "d", "dh": "d", "th": "s", "ch": "j"}
# Háček letters (ISO 9, Turkish, Czech-style romanisation) mean the same as the LC digraphs.
_CARON = {"s": "sh", "c": "ch", "z": "zh"}

# Russian/Ukrainian/Belarusian etc. to LC-style Latin (without diacritics; only the skeleton reads it).
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i",
    "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "iu", "я": "ia", "і": "i", "ї": "i", "є": "ie", "ґ": "g", "ў": "u", "ј": "j", "љ": "lj",
    "њ": "nj", "ћ": "c", "ђ": "d", "џ": "dz", "ғ": "gh", "қ": "q", "ң": "n", "ү": "u", "ұ": "u", "һ": "h",
    "ә": "a", "ө": "o", "ҳ": "h", "ҷ": "j", "ӣ": "i", "ӯ": "u",
}
# Greek to Library of Congress romanisation (modern Greek), again without diacritics.
_GREEK = {
    "α": "a", "β": "b", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "e", "θ": "th", "ι": "i", "κ": "k",
    "λ": "l", "μ": "m", "ν": "n", "ξ": "x", "ο": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",
    "υ": "y", "φ": "ph", "χ": "ch", "ψ": "ps", "ω": "o",
}
_WORD = re.compile(r"[^\W_]+")


def cyrillic_to_latin(text: str) -> str:
    """Cyrillic letters to plain Latin, Library of Congress style without diacritics; other characters kept."""
    return "".join(_CYRILLIC.get(ch, ch) for ch in text.lower())


def greek_to_latin(text: str) -> str:
    """Greek letters to plain Latin (LC style, no diacritics); other characters kept."""
    base = "".join(ch for ch in unicodedata.normalize("NFD", text.lower()) if not unicodedata.combining(ch))
    return "".join(_GREEK.get(ch, ch) for ch in base)


def _latin_word(word: str) -> str:
    # Háček letters first (normalise would fold š to s), then every other diacritic goes.
    decomposed = unicodedata.normalize("NFD", word)
    if "\u030c" in decomposed:
        decomposed = re.sub("([scz])\u030c", lambda m: _CARON[m.group(1)], decomposed)
    word = normalise(unicodedata.normalize("NFC", decomposed))
    word = _DIGRAPHS.sub(lambda m: _DIGRAPH_CLASS[m.group()].upper(), word)
    out = []
    for ch in word:
        if ch.isupper():  # a digraph class placed above
            out.append(ch.lower())
        elif ch.isdigit():
            out.append(ch)
        else:
            cls = _LATIN.get(ch)
            if cls:
                out.append(cls)
    return "".join(out)


def _arabic_word(word: str) -> str:
    return "".join(_ARABIC.get(ch, ch if ch.isdigit() else "") for ch in word)


def _is_arabic(word: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff" for ch in word)


def _is_cyrillic(word: str) -> bool:
    return any("\u0400" <= ch <= "\u052f" for ch in word)


def _is_greek(word: str) -> bool:
    return any("\u0370" <= ch <= "\u03ff" or "\u1f00" <= ch <= "\u1fff" for ch in word)


def _collapse(key: str) -> str:
    out: list[str] = []
    for ch in key:
        if not out or out[-1] != ch or ch.isdigit():  # 2000 is not 20
            out.append(ch)
    return "".join(out)


_ROMAN = re.compile(r"\b(?=[MDCLXVI]+\b)M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})\b")
_ROMAN_VALUES = {"M": 1000, "D": 500, "C": 100, "L": 50, "X": 10, "V": 5, "I": 1}


def _roman_to_digits(match: re.Match[str]) -> str:
    """Upper-case Roman numerals are numbers ("кварталы I-II", "Part IV"); vowels would drop them."""
    text = match.group()
    if not text:
        return text
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        total += -value if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > value else value
    return str(total)


def skeleton_words(text: str) -> list[str]:
    """The consonant skeleton of each word of ``text`` (empty skeletons dropped)."""
    words: list[str] = []
    if "I" in text or "V" in text or "X" in text:
        text = _ROMAN.sub(_roman_to_digits, text)
    # ZWNJ and the apostrophe-like letters (ʻ ʼ ʹ ’) are inside words, not between them.
    text = normalise(text) if _is_arabic(text) else text
    for word in _WORD.findall(text.replace("\u02bb", "").replace("\u02bc", "").replace("\u02b9", "")
                              .replace("\u2019", "").replace("'", "")):
        if _is_arabic(word):
            key = _arabic_word(word)
        elif _is_cyrillic(word):
            key = _latin_word(cyrillic_to_latin(word))
        elif _is_greek(word):
            key = _latin_word(greek_to_latin(word))
        else:
            key = _latin_word(word)
        if len(key) > 1 and key[-1] == "t" and not key[-2].isdigit():
            key = key[:-1]
        elif key == "t":
            key = ""
        key = _collapse(key)
        if key:
            words.append(key)
    return words


@lru_cache(maxsize=1 << 16)
def skeleton(text: str) -> str:
    """One consonant-class string for ``text`` (words joined without separators, except "/" between two
    numbers; see the module notes).

    >>> skeleton("قلائد الجمان") == skeleton("Qalāʼid al-Jumān")
    True
    """
    out = ""
    for word in skeleton_words(text):
        # Two numbers in a row stay two numbers ("I-II" is 1/2, not 12).
        out += ("/" + word) if out and out[-1].isdigit() and word[0].isdigit() else word
    return _collapse(out)
