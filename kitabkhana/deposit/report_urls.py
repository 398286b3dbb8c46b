from django.urls import path

from kitabkhana.deposit import report_views

app_name = "deposit-reports"
urlpatterns = [
    path("compliance/", report_views.compliance_dashboard, name="compliance"),
    path("compliance.csv", report_views.compliance_csv, name="compliance-csv"),
]
