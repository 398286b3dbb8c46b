from pathlib import Path

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "kitabkhana.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.conf import settings

        # The embedded SQLite database and the search index live here; create it before first use.
        settings.KITABKHANA["DATA_DIR"].mkdir(parents=True, exist_ok=True)
        # WhiteNoise serves app static files through the finders; it only wants STATIC_ROOT to exist.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
