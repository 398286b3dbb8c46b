"""Serve the whole site (OPAC, staff interface, APIs, static files) with the waitress WSGI server.

  kitabkhana serve [--port 8000] [--host 127.0.0.1] [--threads 8]

Uses the embedded database unless KITABKHANA_DATABASE_URL is set. Static files are served by
WhiteNoise from the packages, so no collectstatic step or front-end build is needed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--threads", type=int, default=8)

    def handle(self, *args, port: int, host: str, threads: int, **options) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("the database has unapplied migrations: run `kitabkhana migrate` first")
        from waitress import serve

        from config.wsgi import application
        from kitabkhana.core.signals import serving_started

        serving_started.send(sender=self.__class__)
        self.stdout.write(f"Kitabkhana serving on http://{host}:{port}/ (Ctrl-C to stop)")
        from django.conf import settings

        proxy = settings.KITABKHANA.get("TRUSTED_PROXY", "")
        # Behind a reverse proxy the reader's address (reading-room rules, access logs) is in X-Forwarded-For;
        # waitress takes it from that proxy only and drops the header from anyone else.
        forwarding = ({"trusted_proxy": proxy, "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                       "clear_untrusted_proxy_headers": True} if proxy else {})
        serve(application, host=host, port=port, threads=threads, ident="kitabkhana", **forwarding)
