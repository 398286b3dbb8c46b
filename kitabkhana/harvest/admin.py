from django.contrib import admin

from kitabkhana.harvest.models import HarvestedRecord, HarvestRun, HarvestSource


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin):
    # Sources are added and edited through the staff pages or `kitabkhana harvest-source` (validated there).
    list_display = ("code", "institution", "base_url", "metadata_prefix", "set_spec", "every_hours", "enabled",
                    "harvested_until")
    readonly_fields = [f.name for f in HarvestSource._meta.fields]


@admin.register(HarvestRun)
class HarvestRunAdmin(admin.ModelAdmin):
    list_display = ("source", "status", "pages", "records", "new", "updated", "deleted", "rejected", "started_at")
    list_filter = ("status", "source")
    readonly_fields = [f.name for f in HarvestRun._meta.fields]


@admin.register(HarvestedRecord)
class HarvestedRecordAdmin(admin.ModelAdmin):
    list_display = ("identifier", "source", "record", "datestamp", "deleted")
    list_filter = ("source", "deleted")
    search_fields = ("identifier",)
    raw_id_fields = ("record",)
    readonly_fields = [f.name for f in HarvestedRecord._meta.fields]
