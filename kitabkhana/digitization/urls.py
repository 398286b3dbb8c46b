"""Staff pages of the digitization lines, mounted at /staff/digitization/."""

from django.urls import path

from kitabkhana.digitization import views

app_name = "digitization"
urlpatterns = [
    path("", views.project_list, name="projects"),
    path("items/<int:item_id>/", views.item_detail, name="item"),
    path("items/<int:item_id>/stage/", views.item_stage, name="item-stage"),
    path("items/<int:item_id>/access/", views.item_access, name="item-access"),
    path("items/<int:item_id>/ingest/", views.item_ingest, name="item-ingest"),
    path("items/<int:item_id>/ground-truth/", views.item_ground_truth, name="item-ground-truth"),
    path("<slug:code>/", views.project_detail, name="project"),
    path("<slug:code>/add/", views.item_add_view, name="item-add"),
    path("<slug:code>/batches/", views.batch_add, name="batch-add"),
]
