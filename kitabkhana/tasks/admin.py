from django.contrib import admin

from kitabkhana.tasks.models import TaskRun


@admin.register(TaskRun)
class TaskRunAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "done", "total", "created_by", "created_at", "finished_at")
    list_filter = ("status", "name")
    readonly_fields = [f.name for f in TaskRun._meta.fields]
