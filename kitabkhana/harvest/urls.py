from django.urls import path

from kitabkhana.harvest import views

app_name = "harvest"
urlpatterns = [
    path("", views.source_list, name="sources"),
    path("add/", views.source_add, name="source-add"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("<slug:code>/", views.source_detail, name="source"),
    path("<slug:code>/edit/", views.source_edit, name="source-edit"),
    path("<slug:code>/harvest/", views.harvest_now, name="harvest-now"),
]
