from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("journal/", views.journal, name="journal"),
    path("pending/", views.pending, name="pending"),
    path("<int:pk>/", views.transaction, name="transaction"),
    path("<int:pk>/decide/", views.decide, name="decide"),
    path("<int:pk>/reverse/", views.reversal_new, name="reversal_new"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/receipt/", views.receipt_add, name="receipt_add"),
    path("receipt/<int:pk>/", views.receipt, name="receipt"),
    path("donation/", views.donation_new, name="donation_new"),
    path("disbursement/", views.disbursement_new, name="disbursement_new"),
    path("transfer/", views.transfer_new, name="transfer_new"),
    path("exchange/", views.exchange_new, name="exchange_new"),
    path("cash-count/", views.cash_count_new, name="cash_count_new"),
    path("pledges/", views.pledges, name="pledges"),
    path("pledges/<int:pk>/fulfil/", views.pledge_fulfil, name="pledge_fulfil"),
    path("donors/", views.donors, name="donors"),
    path("setup/", views.setup, name="setup"),
    path("rates/", views.rates, name="rates"),
    path("reports/", views.reports, name="reports"),
    path("reports/<slug:name>.svg", views.chart, name="chart"),
    path("export/", views.export, name="export"),
]
