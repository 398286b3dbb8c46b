"""OCR of page images with tesseract, its hOCR read back into words and lines, and the character error rate.

Pure Python (no Django). ``ocr_image`` prepares a page for tesseract with libvips — 8-bit grey, brought down to
about 300 dpi when the master was scanned finer (tesseract is trained on text of that size; a 600 dpi master
only makes it slower) — runs tesseract in a subprocess with a timeout and returns its hOCR with every box put
back into the master's full-resolution pixels, so boxes land where the IIIF canvas (the full image) has them.
``hocr_parse`` reads hOCR (any tesseract's, entities refused) into lines of words with boxes and confidences,
and the plain text in reading order. ``page_find`` looks query words up in a parsed page for search inside a
book; ``cer`` is the character error rate against a transcription. MARC language codes become tesseract's
with ``tesseract_languages``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyvips
from lxml import etree
from rapidfuzz.distance import Levenshtein

__all__ = [
    "MARC_TO_TESSERACT", "Box", "HocrPage", "Line", "Match", "OcrFailed", "OcrResult", "Word", "cer",
    "edit_distance", "hocr_parse", "hocr_scale", "ocr_image", "page_find", "tesseract_installed_languages",
    "tesseract_languages", "text_fold",
]

# MARC language codes (008/35-37, 041 $a: MARC Code List for Languages, i.e. ISO 639-2/B) → tesseract traineddata.
# Only the languages a national library of the region meets; a code missing here or not installed reads as
# English, which at least gets Latin-script text right.
MARC_TO_TESSERACT: dict[str, str] = {
    "per": "fas", "fas": "fas",
    "ara": "ara",
    "rus": "rus",
    "kaz": "kaz",
    "tur": "tur",
    "ota": "ara",  # Ottoman Turkish is printed in Arabic script; no model of its own is installed
    "uzb": "uzb",  # Latin script today; Soviet-era prints need uzb_cyrl (a staff choice, not derivable here)
    "tgk": "tgk",
    "arm": "hye", "hye": "hye",
    "chi": "chi_sim", "zho": "chi_sim",
    "eng": "eng",
    "aze": "aze", "kir": "kir", "tuk": "tuk", "tat": "tat", "urd": "urd", "pus": "pus", "kur": "kmr",
    "geo": "kat", "kat": "kat", "fre": "fra", "fra": "fra", "ger": "deu", "deu": "deu", "ita": "ita",
    "spa": "spa", "heb": "heb", "hin": "hin", "jpn": "jpn", "kor": "kor",
}
FALLBACK_LANGUAGE = "eng"
# Each language added to a run slows tesseract down about linearly; three covers a bilingual book and its notes.
MAX_LANGUAGES = 3
# Tesseract's models are trained on text scanned at about 300 dpi.
TARGET_DPI = 300
# A master with no resolution in its header is taken down when its long side passes this (a 300 dpi A3 page).
MAX_SIDE_UNKNOWN_DPI = 5000
DEFAULT_TIMEOUT = 300.0
# Book pages: automatic page segmentation (columns, headers, notes) without orientation detection.
DEFAULT_PSM = 3


class OcrFailed(RuntimeError):
    """Tesseract could not read the page: not installed, a missing language, a timeout, or a broken image."""


@dataclass(frozen=True)
class Box:
    """A rectangle in image pixels: left, top, right, bottom (right and bottom exclusive, as hOCR has them)."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def xywh(self) -> str:
        """The box as a media fragment's ``xywh=`` value."""
        return f"{self.x0},{self.y0},{self.width},{self.height}"

    @staticmethod
    def union(boxes: Iterable[Box]) -> Box:
        boxes = list(boxes)
        return Box(min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes),
                   max(b.y1 for b in boxes))


@dataclass(frozen=True)
class Word:
    text: str
    box: Box
    confidence: float | None  # tesseract's x_wconf, 0-100


@dataclass(frozen=True)
class Line:
    words: tuple[Word, ...]
    box: Box
    paragraph: int  # lines of one paragraph share a number

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class HocrPage:
    width: int
    height: int
    lines: tuple[Line, ...]

    @property
    def words(self) -> list[Word]:
        return [w for line in self.lines for w in line.words]

    @property
    def text(self) -> str:
        """The plain text in reading order: a line per line, a blank line between paragraphs."""
        out: list[str] = []
        previous: int | None = None
        for line in self.lines:
            if previous is not None:
                out.append("\n\n" if line.paragraph != previous else "\n")
            out.append(line.text)
            previous = line.paragraph
        return "".join(out)

    @property
    def mean_confidence(self) -> float | None:
        confidences = [w.confidence for w in self.words if w.confidence is not None]
        return round(sum(confidences) / len(confidences), 2) if confidences else None


@dataclass(frozen=True)
class OcrResult:
    hocr: str  # boxes in the master's full-resolution pixels
    page: HocrPage
    languages: str
    scale: float  # the factor the master was brought down by before tesseract saw it (1.0: not at all)


# --- languages -------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def tesseract_installed_languages(binary: str = "tesseract") -> frozenset[str]:
    """The traineddata tesseract has (``--list-langs``); empty when tesseract is not installed."""
    if shutil.which(binary) is None:
        return frozenset()
    try:
        done = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    lines = (done.stdout + done.stderr).splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip() and " " not in line.strip())


def tesseract_languages(marc_codes: Iterable[str], *, installed: Iterable[str] | None = None,
                        limit: int = MAX_LANGUAGES) -> str:
    """The tesseract language string for a record's languages, main language first: ``["per", "ara"]`` →
    ``"fas+ara"``. Codes without a model (or, when ``installed`` is given, whose model is not installed) are
    left out; if nothing is left the page is read as English.
    """
    have = frozenset(installed) if installed is not None else None
    chosen: list[str] = []
    for code in marc_codes:
        model = MARC_TO_TESSERACT.get(code.strip().lower())
        if model and model not in chosen and (have is None or model in have):
            chosen.append(model)
    return "+".join(chosen[:limit]) or FALLBACK_LANGUAGE


# --- running tesseract -----------------------------------------------------------------------------------------


def _prepare(master: Path, target: Path, *, dpi: float | None, target_dpi: int) -> tuple[float, float]:
    """Write the page as tesseract should see it: 8-bit grey PNG, at about ``target_dpi``. Returns the scale
    applied and the resolution tesseract should assume."""
    try:
        image = pyvips.Image.new_from_file(str(master), access="sequential")
        scale = 1.0
        if dpi and dpi > target_dpi * 1.5:
            scale = target_dpi / dpi
        elif not dpi and max(image.width, image.height) > MAX_SIDE_UNKNOWN_DPI:
            scale = MAX_SIDE_UNKNOWN_DPI / max(image.width, image.height)
        if image.hasalpha():
            image = image.flatten(background=255)
        image = image.colourspace("b-w")
        if image.format != "uchar":
            # 16-bit grey libvips leaves as it is; anything deeper is stretched to 8 bits by its own maximum.
            top = 65535 if image.format == "ushort" else max(image.max(), 1)
            image = image.cast("uchar") if top <= 255 else (image * (255 / top)).cast("uchar")
        if scale != 1.0:
            image = image.resize(scale, kernel="lanczos3")
        image.pngsave(str(target), compression=1)
    except pyvips.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unknown error"
        raise OcrFailed(f"{master.name}: not a readable image ({first})") from None
    assumed = round((dpi or TARGET_DPI) * scale)
    return scale, assumed


def ocr_image(path: Path | str, *, languages: str = FALLBACK_LANGUAGE, dpi: float | None = None,
              psm: int = DEFAULT_PSM, timeout: float = DEFAULT_TIMEOUT, target_dpi: int = TARGET_DPI,
              binary: str = "tesseract", image_name: str = "") -> OcrResult:
    """Recognise the text of one page image.

    ``dpi`` is the master's scanning resolution when known (from its header or the line's settings); a finer
    master is brought down to ``target_dpi`` first and the boxes scaled back up, so the result is always in the
    master's pixels. Tesseract runs single-threaded (pages are parallel work already) and is killed after
    ``timeout`` seconds. ``image_name`` replaces the temporary file's name in the hOCR's ``ocr_page``.
    """
    path = Path(path)
    if shutil.which(binary) is None:
        raise OcrFailed(f"{binary} is not installed (Debian: apt-get install tesseract-ocr tesseract-ocr-fas …)")
    if not re.fullmatch(r"[A-Za-z_]+(\+[A-Za-z_]+)*", languages):
        raise OcrFailed(f"not a tesseract language string: {languages!r}")
    with tempfile.TemporaryDirectory(prefix="kk-ocr-") as work:
        prepared = Path(work) / "page.png"
        scale, assumed_dpi = _prepare(path, prepared, dpi=dpi, target_dpi=target_dpi)
        command = [binary, str(prepared), "stdout", "-l", languages, "--psm", str(psm), "--dpi",
                   str(assumed_dpi), "hocr"]
        # One thread per page: a line runs pages in parallel, and OpenMP threads only contend with each other.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False, env=env)
        except subprocess.TimeoutExpired:
            raise OcrFailed(f"{path.name}: tesseract took longer than {timeout:g} s") from None
        if done.returncode != 0 or not done.stdout.strip():
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise OcrFailed(f"{path.name}: tesseract failed ({message[-1] if message else done.returncode})")
    hocr = done.stdout.decode("utf-8")
    hocr = hocr_scale(hocr, 1 / scale if scale != 1.0 else 1.0, image_name=image_name or path.name)
    return OcrResult(hocr=hocr, page=hocr_parse(hocr), languages=languages, scale=scale)


# --- hOCR ------------------------------------------------------------------------------------------------------

_BBOX = re.compile(r"\bbbox\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")
_SIZES = re.compile(r"\b(x_size|x_descenders|x_ascenders)\s+(-?[\d.]+)")
_BASELINE = re.compile(r"\bbaseline\s+(-?[\d.]+)\s+(-?[\d.]+)")
_WCONF = re.compile(r"\bx_wconf\s+(-?[\d.]+)")
_IMAGE = re.compile(r"""\bimage\s+"[^"]*"|\bimage\s+'[^']*'""")
_TITLE = re.compile(r"""(title=)(["'])(.*?)\2""", re.S)
_LINE_CLASSES = {"ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat"}


def hocr_scale(hocr: str, factor: float, *, image_name: str | None = None) -> str:
    """Multiply every pixel measure in the hOCR's titles by ``factor`` and name the page's image."""

    def title(match: re.Match) -> str:
        value = match.group(3)
        if factor != 1.0:
            value = _BBOX.sub(lambda m: "bbox " + " ".join(str(round(int(v) * factor)) for v in m.groups()), value)
            value = _SIZES.sub(lambda m: f"{m.group(1)} {float(m.group(2)) * factor:.2f}", value)
            value = _BASELINE.sub(lambda m: f"baseline {m.group(1)} {round(float(m.group(2)) * factor)}", value)
        if image_name is not None:
            safe = re.sub(r"[\"'<>&;]", "_", image_name)
            value = _IMAGE.sub(f'image "{safe}"' if match.group(2) == "'" else f"image '{safe}'", value)
        return f"{match.group(1)}{match.group(2)}{value}{match.group(2)}"

    return _TITLE.sub(title, hocr)


def _parse_xml(hocr: str | bytes) -> etree._Element:
    data = hocr.encode("utf-8") if isinstance(hocr, str) else hocr
    first_element = re.search(rb"<[A-Za-z_]", data)
    prolog = data[: first_element.start()] if first_element else data
    # tesseract's hOCR declares the XHTML DTD, which is harmless unread; an entity declaration never is.
    if b"<!ENTITY" in prolog or (b"[" in prolog and b"<!DOCTYPE" in prolog):
        raise ValueError("hOCR with an internal DTD subset is refused (entities are not allowed)")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"hOCR is not well-formed XML: {exc.msg}") from None


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def _box(title: str) -> Box | None:
    match = _BBOX.search(title)
    return Box(*(int(v) for v in match.groups())) if match else None


def hocr_parse(hocr: str | bytes) -> HocrPage:
    """Read hOCR into its page size and lines of words (boxes and confidences), in the document's order —
    tesseract's reading order, right to left within a Persian line. Words without text are dropped."""
    root = _parse_xml(hocr)
    width = height = 0
    lines: list[Line] = []
    paragraph = 0
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        classes = _classes(element)
        if "ocr_page" in classes:
            box = _box(element.get("title", ""))
            if box is not None:
                width, height = box.x1, box.y1
        elif "ocr_par" in classes:
            paragraph += 1
        elif classes & _LINE_CLASSES:
            words: list[Word] = []
            for node in element.iter():
                if not isinstance(node.tag, str) or "ocrx_word" not in _classes(node):
                    continue
                text = "".join(node.itertext()).strip()
                box = _box(node.get("title", ""))
                if not text or box is None:
                    continue
                conf = _WCONF.search(node.get("title", ""))
                words.append(Word(text, box, float(conf.group(1)) if conf else None))
            if words:
                line_box = _box(element.get("title", "")) or Box.union(w.box for w in words)
                lines.append(Line(tuple(words), line_box, paragraph))
    return HocrPage(width, height, tuple(lines))


# --- search inside a page --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Query words found on a page: the words (with their boxes) and the text around them for a snippet."""

    words: tuple[Word, ...]
    prefix: str
    exact: str
    suffix: str

    @property
    def box(self) -> Box:
        return Box.union(w.box for w in self.words)


def page_find(page: HocrPage, query: Sequence[str], *, tokenise: Callable[[str], list[str]],
              context_words: int = 6) -> list[Match]:
    """Find ``query`` (tokens already normalised by ``tokenise``) among the page's words.

    Each hOCR word is tokenised the same way, so letter variants, ZWNJ and diacritics meet in the middle. The
    query as a phrase (its tokens in a row, across line ends too) gives one match per occurrence; a page with
    all the query's words but not as a phrase gives one match per occurrence of each word; a page lacking
    one of them gives nothing.
    """
    words = page.words
    stream: list[tuple[str, int]] = [(token, i) for i, word in enumerate(words) for token in tokenise(word.text)]
    tokens = [t for t, _ in stream]
    query = [q for q in query if q]
    if not query or not set(query) <= set(tokens):
        return []
    spans: list[list[int]] = []
    n = len(query)
    if n > 1:
        for start in range(len(tokens) - n + 1):
            if tokens[start:start + n] == list(query):
                spans.append(sorted({stream[k][1] for k in range(start, start + n)}))
    if not spans:
        wanted = set(query)
        seen: set[int] = set()
        for token, index in stream:
            if token in wanted and index not in seen:
                seen.add(index)
                spans.append([index])
    matches = []
    for span in spans:
        first, last = span[0], span[-1]
        before = " ".join(w.text for w in words[max(0, first - context_words):first])
        after = " ".join(w.text for w in words[last + 1:last + 1 + context_words])
        hit = tuple(words[first:last + 1])
        matches.append(Match(words=hit, prefix=before + " " if before else "", exact=" ".join(w.text for w in hit),
                             suffix=" " + after if after else ""))
    return matches


# --- character error rate --------------------------------------------------------------------------------------


def text_fold(text: str) -> str:
    """The least any comparison needs: canonical composition and every run of white space as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions of one character each)."""
    # rapidfuzz: a bit-parallel C++ implementation, ~1000x a Python DP on a page against its transcription.
    return Levenshtein.distance(a, b)


def cer(hypothesis: str, reference: str, *, fold: Callable[[str], str] | None = None) -> float:
    """Character error rate: edits from the OCR text to the reference, over the reference's length, both
    folded by ``fold`` (default ``text_fold``; the digitization service folds with the catalogue's search
    normalisation). 0.0 for two empty texts, 1.0 for OCR text against an empty reference."""
    fold = fold or text_fold
    h, r = fold(hypothesis), fold(reference)
    if not r:
        return 0.0 if not h else 1.0
    return edit_distance(h, r) / len(r)
