"""The one exception tree of the MARC core.

``RecordError`` is about one record (the reader reports it and carries on with the next);
``FileFormatError`` is about the whole file (nothing sensible can be read from it).
"""

from __future__ import annotations


class MarcError(Exception):
    """Base of every error raised by ``kitabkhana.marc``."""


class RecordError(MarcError):
    """One record cannot be read or written; says where, as precisely as is known."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        record_number: int | None = None,
        offset: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.record_number = record_number
        self.offset = offset
        self.field = field

    def located(
        self, *, source: str | None = None, record_number: int | None = None, offset: int | None = None
    ) -> RecordError:
        """Fill in the place the decoder could not know (it sees bytes, not the file)."""
        if source is not None and self.source is None:
            self.source = source
        if record_number is not None and self.record_number is None:
            self.record_number = record_number
        if offset is not None and self.offset is None:
            self.offset = offset
        return self

    def __str__(self) -> str:
        where: list[str] = []
        if self.source:
            where.append(self.source)
        if self.record_number is not None:
            record = f"record {self.record_number}"
            if self.offset is not None:
                record += f" (byte {self.offset})"
            where.append(record)
        elif self.offset is not None:
            where.append(f"byte {self.offset}")
        if self.field:
            where.append(f"field {self.field}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def __reduce__(self):  # keep keyword-only attributes through pickling (task queues)
        return (
            _rebuild_record_error,
            (self.message, self.source, self.record_number, self.offset, self.field),
        )


def _rebuild_record_error(
    message: str, source: str | None, record_number: int | None, offset: int | None, field: str | None
) -> RecordError:
    return RecordError(message, source=source, record_number=record_number, offset=offset, field=field)


class FileFormatError(MarcError):
    """The file as a whole is unusable: empty, not MARC, not MARCXML, or an XML entity attack."""
