"""Pure-Python helpers for the many scripts a national library catalogues in (no Django here).

- ``normalise``: the one text normalisation used at index time and at query time (Arabic/Persian
  letter variants, harakat, ZWNJ, Cyrillic ё, Turkish dotted/dotless i, Latin diacritics, digits).
- ``calendars``: imprint years in the Solar Hijri and Gregorian calendars, Persian digits.
"""
