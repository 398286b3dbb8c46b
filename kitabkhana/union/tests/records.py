"""Small MARC records for the union tests, written out field by field so each test shows what differs."""

from __future__ import annotations

import pymarc


def book(*, control: str, agency: str = "", title: str, subtitle: str = "", author: str = "", year: int | None = None,
         isbn: str = "", edition: str = "", pages: str = "", publisher: str = "",
         original_title: str = "", original_author: str = "") -> pymarc.Record:
    """A MARC 21 book record; ``original_*`` become 880 fields linked to 245/100 (Arabic script)."""
    r = pymarc.Record(force_utf8=True)
    r.leader = pymarc.Leader("00000nam a2200000 i 4500")
    r.add_field(pymarc.Field(tag="001", data=control))
    if agency:
        r.add_field(pymarc.Field(tag="003", data=agency))
    date = f"{year:04d}" if year else "    "
    r.add_field(pymarc.Field(tag="008", data=f"200101s{date}    ir            000 0 per d"))
    if isbn:
        r.add_field(pymarc.Field(tag="020", indicators=[" ", " "], subfields=[pymarc.Subfield("a", isbn)]))
    if author:
        subfields = [pymarc.Subfield("6", "880-01")] if original_author else []
        r.add_field(pymarc.Field(tag="100", indicators=["1", " "], subfields=[*subfields, pymarc.Subfield("a", author)]))
    t = [pymarc.Subfield("6", "880-02")] if original_title else []
    t.append(pymarc.Subfield("a", title + (" :" if subtitle else "")))
    if subtitle:
        t.append(pymarc.Subfield("b", subtitle))
    r.add_field(pymarc.Field(tag="245", indicators=["1", "0"], subfields=t))
    if edition:
        r.add_field(pymarc.Field(tag="250", indicators=[" ", " "], subfields=[pymarc.Subfield("a", edition)]))
    imprint = []
    if publisher:
        imprint.append(pymarc.Subfield("b", publisher))
    if year:
        imprint.append(pymarc.Subfield("c", str(year)))
    if imprint:
        r.add_field(pymarc.Field(tag="264", indicators=[" ", "1"], subfields=imprint))
    if pages:
        r.add_field(pymarc.Field(tag="300", indicators=[" ", " "], subfields=[pymarc.Subfield("a", pages)]))
    if original_author:
        r.add_field(pymarc.Field(tag="880", indicators=["1", " "],
                                 subfields=[pymarc.Subfield("6", "100-01/(3/r"), pymarc.Subfield("a", original_author)]))
    if original_title:
        r.add_field(pymarc.Field(tag="880", indicators=["1", "0"],
                                 subfields=[pymarc.Subfield("6", "245-02/(3/r"), pymarc.Subfield("a", original_title)]))
    return r


# A Persian book as the national library catalogues it (Arabic script in 245/100, no romanisation) ...
def persian_native(control: str = "1001") -> pymarc.Record:
    return book(control=control, agency="IrTeNL", title="تاریخ ادبیات ایران", subtitle="از آغاز تا امروز",
                author="صفا، ذبیح الله", year=2013, pages="512 ص.", publisher="فردوس")


# ... and as a partner abroad catalogues it: ALA-LC romanisation, with or without 880 originals.
def persian_romanised(control: str = "ocm1", with_880: bool = False) -> pymarc.Record:
    return book(control=control, agency="NNU", title="Tārīkh-i adabīyāt-i Īrān", subtitle="az āghāz tā imrūz",
                author="Ṣafā, Ẕabīḥ Allāh", year=2013, pages="512 pages", publisher="Firdaws",
                original_title="تاریخ ادبیات ایران" if with_880 else "",
                original_author="صفا، ذبیح الله" if with_880 else "")
