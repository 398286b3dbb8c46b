"""Background tasks of digitization (run through kitabkhana.tasks); importing this module registers them.

The task functions live beside the services they run: folder ingest in services.ingest, OCR in services.ocr.
"""

from kitabkhana.digitization.services import ingest, ocr  # noqa: F401
