"""SRU diagnostics (info:srw/diagnostic/1/N): the numbers this server uses and their standard messages."""

from __future__ import annotations

__all__ = ["MESSAGES", "SruDiagnostic", "diagnostic_uri"]

#: The messages of the SRU diagnostics list (loc.gov/standards/sru/diagnostics) this server can send.
MESSAGES: dict[int, str] = {
    1: "General system error",
    4: "Unsupported operation",
    5: "Unsupported version",
    6: "Unsupported parameter value",
    7: "Mandatory parameter not supplied",
    8: "Unsupported parameter",
    10: "Query syntax error",
    13: "Invalid or unsupported use of parentheses",
    14: "Invalid or unsupported use of quotes",
    15: "Unsupported context set",
    16: "Unsupported index",
    19: "Unsupported relation",
    20: "Unsupported relation modifier",
    22: "Unsupported combination of relation and index",
    23: "Too many characters in term",
    24: "Unsupported combination of relation and term",
    27: "Empty term unsupported",
    28: "Masking character not supported",
    31: "Anchoring character not supported",
    36: "Term in invalid format for index or relation",
    37: "Unsupported boolean operator",
    38: "Too many boolean operators in query",
    39: "Proximity not supported",
    46: "Unsupported boolean modifier",
    48: "Query feature unsupported",
    61: "First record position out of range",
    66: "Unknown schema for retrieval",
    67: "Record not available in this schema",
    71: "Unsupported recordXMLEscaping/recordPacking value",
    72: "XPath retrieval unsupported",
    80: "Sort not supported",
    84: "Too many sort keys to sort",
    90: "Unsupported direction",
    110: "Stylesheets not supported",
    120: "Response position out of range",
}


def diagnostic_uri(code: int) -> str:
    return f"info:srw/diagnostic/1/{code}"


class SruDiagnostic(Exception):
    """A request the server cannot answer as asked; becomes a <diagnostic> in the response.

    ``details`` follows the list's convention for each number (the parameter name, the index,
    the relation...); ``message`` is the standard message, with our explanation after it.
    """

    def __init__(self, code: int, details: str = "", explanation: str = "") -> None:
        self.code = code
        self.details = details
        self.explanation = explanation
        super().__init__(self.message)

    @property
    def uri(self) -> str:
        return diagnostic_uri(self.code)

    @property
    def message(self) -> str:
        base = MESSAGES.get(self.code, "Diagnostic")
        return f"{base}: {self.explanation}" if self.explanation else base
