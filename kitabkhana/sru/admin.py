from django.contrib import admin

from kitabkhana.sru.models import SruTarget


@admin.register(SruTarget)
class SruTargetAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "version", "record_schema", "flavour", "institution", "enabled")
    list_filter = ("version", "flavour", "enabled")
    search_fields = ("name", "url")
