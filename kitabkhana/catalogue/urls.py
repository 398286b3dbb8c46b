from django.urls import path

from kitabkhana.catalogue import views

app_name = "catalogue"
urlpatterns = [
    path("", views.staff_home, name="staff-home"),
    path("records/new/", views.record_new, name="record-new"),
    path("records/<int:record_id>/edit/", views.record_edit, name="record-edit"),
    path("records/<int:record_id>/history/", views.record_history, name="record-history"),
    path("records/<int:record_id>/history/<int:version>/restore/", views.record_restore_view, name="record-restore"),
    path("records/<int:record_id>/holdings/add/", views.holding_add, name="holding-add"),
    path("import/", views.import_upload, name="import"),
    path("import/<int:job_id>/", views.import_job_detail, name="import-job"),
]
