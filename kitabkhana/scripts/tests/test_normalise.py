"""The one normalisation: spellings a reader would call "the same word" fold to the same tokens."""

import unicodedata

import pytest

from kitabkhana.scripts.normalise import normalise, tokens


def test_persian_zwnj_and_arabic_letter_variants_meet():
    """A Persian title typed with Arabic ي/ك and with or without ZWNJ folds to one form."""
    persian = "کتاب‌های کودکان"  # Persian ک/ی, ZWNJ between کتاب and های
    arabic_typed = "كتابهاي كودكان"  # Arabic ك/ي, no ZWNJ
    assert normalise(persian) == normalise(arabic_typed) == "کتابهای کودکان"
    assert tokens("می‌روم") == tokens("میروم") == ["میروم"]


def test_arabic_harakat_tatweel_hamza_and_ta_marbuta_are_folded():
    vowelled = "الْعَرَبِيَّةُ"
    assert normalise(vowelled) == normalise("العربية") == "العربیه"
    assert normalise("كـتـاب") == "کتاب"  # tatweel
    assert normalise("أحمد") == normalise("إحمد") == normalise("احمد") == "احمد"
    assert normalise("مؤسسه") == "موسسه"
    assert normalise("مسئله") == "مسیله"
    assert normalise("ماء") == "ما"  # standalone hamza dropped
    assert normalise("قرآن") == "قران"


def test_presentation_forms_and_bidi_marks():
    assert normalise("ﻻ") == "لا"  # lam-alef ligature through NFKC
    assert normalise("\u200fتهران\u200e") == "تهران"
    assert normalise("ﬁnance") == "finance"


def test_digits_become_ascii():
    assert normalise("۱۳۹۹") == normalise("١٣٩٩") == "1399"
    assert tokens("چاپ ۲، ۱۳۸۵") == ["چاپ", "2", "1385"]


def test_russian_yo_folds_to_ye_but_short_i_stays():
    assert normalise("Ёлка") == normalise("елка") == "елка"
    assert tokens("Пётр Толстой") == ["петр", "толстой"]
    assert normalise("Й") == "й"


def test_turkish_dotted_and_dotless_i():
    assert normalise("İstanbul") == normalise("ISTANBUL") == normalise("istanbul") == normalise("ıstanbul")
    assert normalise("Kırşehir") == "kirsehir"


def test_latin_and_greek_diacritics_folded():
    assert normalise("Müller, Ærø, Łódź, Straße") == "muller, aero, lodz, strasse"
    assert normalise("Ἀθῆναι") == normalise("αθηναι")
    assert tokens("Al-Fārābī") == ["al", "farabi"]


def test_armenian_only_case_folded():
    assert normalise("ՀԱՅԱՍՏԱՆ") == normalise("Հայաստան") == "հայաստան"
    # NFKC spells out the և ligature as եւ, which is also how many readers type it.
    assert tokens("Երևան, Հայաստան") == tokens("Երեւան Հայաստան") == ["երեւան", "հայաստան"]


def test_scripts_whose_marks_are_letters_are_untouched():
    assert normalise("हिन्दी") == "हिन्दी"
    assert tokens("हिन्दी साहित्य") == ["हिन्दी", "साहित्य"]
    assert normalise("한국어") == "한국어"  # Hangul survives the NFD/NFC round trip
    assert normalise("が") == "が"  # kana voicing mark is kept


def test_chinese_is_one_token_per_character():
    assert tokens("中国历史研究") == ["中", "国", "历", "史", "研", "究"]
    assert tokens("红楼梦 Dream") == ["红", "楼", "梦", "dream"]


def test_tokens_split_on_punctuation_and_underscore():
    assert tokens("Tehran : Nashr-e Ney, 2005.") == ["tehran", "nashr", "e", "ney", "2005"]
    assert tokens("a_b") == ["a", "b"]
    assert tokens("   ") == []


@pytest.mark.parametrize("text", ["Shāhnāmah", "شاهنامه", "Шахнаме", "中国", "ISTANBUL"])
def test_normalise_is_idempotent(text):
    once = normalise(text)
    assert normalise(once) == once
    assert unicodedata.is_normalized("NFC", once)
