from django.urls import path

from kitabkhana.deposit import views

app_name = "cip"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("publishers/", views.publishers_pending, name="publishers"),
    path("publishers/<int:publisher_id>/", views.staff_publisher, name="publisher"),
    path("publishers/<int:publisher_id>/decide/", views.publisher_decide, name="publisher-decide"),
    path("deposit/", views.staff_deposit_without_cip, name="deposit-without-cip"),
    path("deposit/further/", views.staff_deposit_further, name="deposit-further"),
    path("files/<int:file_id>/access/", views.staff_file_access, name="file-access"),
    path("<int:request_id>/", views.staff_request, name="request"),
    path("<int:request_id>/assign/", views.staff_assign, name="assign"),
    path("<int:request_id>/record/", views.staff_record, name="record"),
    path("<int:request_id>/return/", views.staff_return, name="return"),
    path("<int:request_id>/approve/", views.staff_approve, name="approve"),
    path("<int:request_id>/deposit/", views.staff_deposit, name="deposit"),
    path("<int:request_id>/front-matter.pdf", views.staff_front_matter, name="front-matter"),
    path("<int:request_id>/cip.<str:fmt>", views.staff_block, name="block"),
]
