from django.contrib import admin

from kitabkhana.deposit.models import CipEvent, CipRequest, NationalBibliographyNumber, Publisher

# Read-only: every change goes through the services, which check ISBNs and write the audit trail.


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "country", "status", "approved_at")
    list_filter = ("status", "country")
    search_fields = ("name",)
    readonly_fields = [f.name for f in Publisher._meta.fields]


@admin.register(CipRequest)
class CipRequestAdmin(admin.ModelAdmin):
    list_display = ("pk", "title", "publisher", "institution", "status", "assigned_to", "nbn", "updated_at")
    list_filter = ("status", "institution")
    search_fields = ("title", "nbn")
    readonly_fields = [f.name for f in CipRequest._meta.fields]


@admin.register(CipEvent)
class CipEventAdmin(admin.ModelAdmin):
    list_display = ("at", "publisher", "request", "action", "user")
    list_filter = ("action",)
    readonly_fields = [f.name for f in CipEvent._meta.fields]


@admin.register(NationalBibliographyNumber)
class NationalBibliographyNumberAdmin(admin.ModelAdmin):
    list_display = ("year", "last")
    readonly_fields = ("year", "last")
