from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("kitabkhana.api.urls")),
    path("accounts/", include("kitabkhana.accounts.urls")),
    path("oai", include("kitabkhana.oai.urls")),
    path("sru", include("kitabkhana.sru.urls")),
    path("staff/harvest/", include("kitabkhana.harvest.urls")),
    path("staff/union/", include("kitabkhana.union.urls")),
    path("staff/sru/", include("kitabkhana.sru.staff_urls")),
    path("staff/cip/", include("kitabkhana.deposit.staff_urls")),
    path("publishers/", include("kitabkhana.deposit.publisher_urls")),
    path("staff/deposit/", include("kitabkhana.deposit.report_urls")),
    path("deposit-files/", include("kitabkhana.deposit.urls")),
    path("national-bibliography/", include("kitabkhana.deposit.bibliography_urls")),
    path("staff/", include("kitabkhana.catalogue.urls")),
    path("tasks/", include("kitabkhana.tasks.urls")),
    path("iiif/", include("kitabkhana.iiif.urls")),
    path("staff/digitization/", include("kitabkhana.digitization.urls")),
    path("", include("kitabkhana.opac.urls")),
]
