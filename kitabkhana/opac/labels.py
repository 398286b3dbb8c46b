"""Reader-facing names for codes the index holds (languages, material types, facets), translatable."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

FACET_LABELS = {
    "language": _("Language"),
    "year": _("Year"),
    "material_type": _("Material type"),
    "institution": _("Library"),
    "subject": _("Subject"),
}

MATERIAL_TYPES = {
    "book": _("Book"),
    "serial": _("Journal or serial"),
    "map": _("Map"),
    "score": _("Music score"),
    "music": _("Music recording"),
    "sound": _("Sound recording"),
    "video": _("Video"),
    "image": _("Image"),
    "manuscript": _("Manuscript"),
    "computer": _("Electronic resource"),
    "kit": _("Kit"),
    "mixed": _("Mixed materials"),
    "object": _("Object"),
    "authority": _("Authority record"),
}

# MARC language codes (ISO 639-2/B) that the network's records use most.
LANGUAGES = {
    "ara": _("Arabic"), "per": _("Persian"), "fas": _("Persian"), "tur": _("Turkish"),
    "ota": _("Ottoman Turkish"), "aze": _("Azerbaijani"), "uzb": _("Uzbek"), "kaz": _("Kazakh"),
    "kir": _("Kyrgyz"), "tgk": _("Tajik"), "tuk": _("Turkmen"), "tat": _("Tatar"), "rus": _("Russian"),
    "ukr": _("Ukrainian"), "bel": _("Belarusian"), "arm": _("Armenian"), "hye": _("Armenian"),
    "geo": _("Georgian"), "kat": _("Georgian"), "chi": _("Chinese"), "zho": _("Chinese"),
    "jpn": _("Japanese"), "kor": _("Korean"), "urd": _("Urdu"), "pus": _("Pashto"), "kur": _("Kurdish"),
    "heb": _("Hebrew"), "syr": _("Syriac"), "eng": _("English"), "fre": _("French"), "fra": _("French"),
    "ger": _("German"), "deu": _("German"), "spa": _("Spanish"), "ita": _("Italian"), "lat": _("Latin"),
    "grc": _("Ancient Greek"), "gre": _("Greek"), "pol": _("Polish"), "dut": _("Dutch"),
    "por": _("Portuguese"), "hin": _("Hindi"), "san": _("Sanskrit"), "mul": _("Multiple languages"),
    "und": _("Undetermined"), "zxx": _("No linguistic content"),
}


def facet_label(name: str) -> str:
    return str(FACET_LABELS.get(name, name))


def material_type_label(code: str) -> str:
    return str(MATERIAL_TYPES.get(code, code or "—"))


def facet_value_label(name: str, value: str, institutions: dict[str, str]) -> str:
    if name == "language":
        return str(LANGUAGES.get(value, value))
    if name == "material_type":
        return material_type_label(value)
    if name == "institution":
        return institutions.get(value, value)
    return value


# MARC (ISO 639-2/B) → BCP 47, for lang="" on original-script text so screen readers pick the voice.
_BCP47 = {"per": "fa", "fas": "fa", "ara": "ar", "rus": "ru", "tur": "tr", "ota": "ota", "aze": "az", "uzb": "uz",
          "kaz": "kk", "kir": "ky", "tgk": "tg", "tuk": "tk", "tat": "tt", "ukr": "uk", "bel": "be", "arm": "hy",
          "hye": "hy", "geo": "ka", "kat": "ka", "chi": "zh", "zho": "zh", "jpn": "ja", "kor": "ko", "urd": "ur",
          "pus": "ps", "kur": "ku", "heb": "he", "eng": "en", "fre": "fr", "fra": "fr", "ger": "de", "deu": "de"}


def bcp47(code: str) -> str:
    """The HTML language tag for a MARC language code; "" when we do not know one (no lang attribute)."""
    return _BCP47.get(code, "")


# The labels marc.derive puts on display fields, marked here so makemessages finds them (the pure
# core cannot import Django); the record template translates them. A test keeps this list complete.
DISPLAY_LABELS = (
    gettext_noop("Title"), gettext_noop("Uniform title"), gettext_noop("Other titles"), gettext_noop("Author"),
    gettext_noop("Other authors"), gettext_noop("Edition"), gettext_noop("Published"),
    gettext_noop("Physical description"), gettext_noop("Series"), gettext_noop("Notes"), gettext_noop("Contents"),
    gettext_noop("Summary"), gettext_noop("Subjects"), gettext_noop("ISBN"), gettext_noop("ISSN"),
    gettext_noop("Language"), gettext_noop("Heading"), gettext_noop("See from"), gettext_noop("See also"),
    gettext_noop("Sources"),
)
