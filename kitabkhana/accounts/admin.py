from django.contrib import admin

from kitabkhana.accounts.models import Institution, StaffProfile


@admin.register(Institution)
class InstitutionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "country")
    list_filter = ("kind", "country")
    search_fields = ("code", "name")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "institution", "role")
    list_filter = ("role", "institution")
