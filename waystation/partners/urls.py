from django.urls import path

from . import exchange_views, views

app_name = "partners"

urlpatterns = [
    # transport and trust: the card, the partners, importing a package
    path("", views.index, name="index"),
    path("card/", views.card, name="card"),
    path("add/", views.add, name="add"),
    path("add/confirm/", views.confirm, name="confirm"),
    path("<int:pk>/revoke/", views.revoke, name="revoke"),
    path("import/", views.import_view, name="import"),
    # the case content (partners-cases): sending from a case, the inbox, a received package
    path("cases/<int:pk>/send/", exchange_views.send, name="send"),
    path("inbox/", exchange_views.inbox, name="inbox"),
    path("inbox/<uuid:pk>/", exchange_views.package, name="package"),
]
