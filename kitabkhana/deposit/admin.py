from django.contrib import admin

from kitabkhana.deposit.models import (
    CipEvent,
    CipRequest,
    Claim,
    DepositReceipt,
    DepositRule,
    DepositRuleShare,
    NationalBibliographyNumber,
    Publisher,
)

# Read-only: every change goes through the services, which check ISBNs and write the audit trail.
# The deposit rules are the exception: they are configuration, edited here.


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


class DepositRuleShareInline(admin.TabularInline):
    model = DepositRuleShare
    extra = 1


@admin.register(DepositRule)
class DepositRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "material_type", "country", "city", "is_default")
    inlines = [DepositRuleShareInline]


@admin.register(DepositReceipt)
class DepositReceiptAdmin(admin.ModelAdmin):
    list_display = ("received_on", "institution", "barcode", "condition", "publisher", "request", "received_by")
    list_filter = ("institution", "condition")
    search_fields = ("barcode",)
    readonly_fields = [f.name for f in DepositReceipt._meta.fields]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ("sent_at", "request", "level", "to", "language")
    list_filter = ("level", "language")
    readonly_fields = [f.name for f in Claim._meta.fields]
