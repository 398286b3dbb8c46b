"""OCR of digitized pages: the background task and its steps."""
