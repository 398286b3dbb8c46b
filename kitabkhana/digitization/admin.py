"""Read-only admin views of the digitization lines: changes go through the staff pages and services (stage rules,
QA, files on disk), which the admin would bypass."""

from django.contrib import admin

from kitabkhana.digitization.models import (
    Batch,
    DigitalImage,
    DigitalItem,
    Page,
    Project,
    QaFinding,
    StageEvent,
)


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Project)
class ProjectAdmin(_ReadOnly):
    list_display = ("code", "name", "institution", "colour_mode", "min_dpi", "created_at")


@admin.register(Batch)
class BatchAdmin(_ReadOnly):
    list_display = ("project", "name", "created_by", "created_at")


@admin.register(DigitalItem)
class DigitalItemAdmin(_ReadOnly):
    list_display = ("id", "project", "record", "stage", "access", "embargo_until", "viewing_direction")
    list_filter = ("project", "stage", "access")


@admin.register(StageEvent)
class StageEventAdmin(_ReadOnly):
    list_display = ("item", "stage", "user", "at", "reason")
    list_filter = ("stage",)


@admin.register(Page)
class PageAdmin(_ReadOnly):
    list_display = ("item", "order", "label", "source_name", "image")


@admin.register(DigitalImage)
class DigitalImageAdmin(_ReadOnly):
    list_display = ("identifier", "master_format", "width", "height", "master_sha256", "created_at")
    search_fields = ("identifier",)


@admin.register(QaFinding)
class QaFindingAdmin(_ReadOnly):
    list_display = ("item", "source_name", "kind", "blocking", "detail", "at")
    list_filter = ("kind", "blocking")
