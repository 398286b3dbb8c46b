"""Imprint years read from transcribed dates and shown in both the Solar Hijri and Gregorian calendars."""

import pytest

from kitabkhana.scripts.calendars import describe_imprint_year, to_persian_digits


@pytest.mark.parametrize("text", ["1399", "۱۳۹۹", "1399 ش", "۱۳۹۹ ه.ش.", "[1399]", "1399 AP", "تهران: ۱۳۹۹ش."])
def test_solar_hijri_year_spans_two_gregorian_years(text):
    assert describe_imprint_year(text, None) == {
        "gregorian": "2020/2021", "solar_hijri": "1399", "solar_hijri_fa": "۱۳۹۹",
        "source": "solar_hijri", "approximate": False,
    }


def test_gregorian_year_gets_its_solar_hijri_span():
    years = describe_imprint_year("c2020", None)
    assert years["source"] == "gregorian"
    assert years["gregorian"] == "2020"
    assert years["solar_hijri"] == "1398/1399"
    assert years["solar_hijri_fa"] == "۱۳۹۸/۱۳۹۹"


def test_gregorian_given_alongside_picks_one_of_the_two():
    assert describe_imprint_year("1399 [2020]", None)["gregorian"] == "2020"
    # as LC transcribes it when the month is unknown
    assert describe_imprint_year("\u202a1398 [2019 or 2020]\u202c.", None)["gregorian"] == "2019/2020"


def test_lunar_hijri_is_converted_approximately():
    years = describe_imprint_year("1320 ق", None)
    assert years["source"] == "lunar_hijri"
    assert years["approximate"] is True
    assert years["lunar_hijri"] == "1320"
    assert years["gregorian"] == "1902/1903"  # 1 Muharram 1320 = 10 April 1902
    assert describe_imprint_year("1441 ه.ق", None)["gregorian"] == "2019/2020"


def test_coded_year_used_when_the_text_has_none():
    assert describe_imprint_year("", 1357)["gregorian"] == "1978/1979"
    assert describe_imprint_year("[n.d.]", 2005)["solar_hijri"] == "1383/1384"


def test_nothing_parseable():
    assert describe_imprint_year("", None) is None
    assert describe_imprint_year("[s.a.]", None) is None
    assert describe_imprint_year("", 1550) is None  # neither calendar's plausible range


def test_to_persian_digits():
    assert to_persian_digits("1399/1400") == "۱۳۹۹/۱۴۰۰"
    assert to_persian_digits(2020) == "۲۰۲۰"


@pytest.mark.parametrize("text", ["c0000", "0000 ش", "p0001", "9999 ش", "9999 ق", "c9999"])
def test_placeholder_dates_give_none_not_an_error(text):
    assert describe_imprint_year(text, None) is None
