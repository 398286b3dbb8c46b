from django.urls import path

from kitabkhana.tasks import views

app_name = "tasks"
urlpatterns = [
    path("<uuid:run_id>/", views.task_detail, name="detail"),
    path("<uuid:run_id>/status.json", views.task_status, name="status"),
]
