from django.urls import path

from kitabkhana.union import views

app_name = "union"
urlpatterns = [
    path("", views.union_home, name="home"),
    path("clusters/<int:cluster_id>/", views.cluster_detail, name="cluster"),
    path("clusters/<int:cluster_id>/split/", views.cluster_split_view, name="cluster-split"),
    path("clusters/<int:cluster_id>/merge/", views.cluster_merge_view, name="cluster-merge"),
    path("records/decide/", views.records_decide_view, name="records-decide"),
]
