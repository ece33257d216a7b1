from django.urls import path

from . import views

app_name = "screening"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("disagreements/", views.disagreements, name="disagreements"),
    path("cases/<int:pk>/", views.case_screening, name="case"),
    path("cases/<int:pk>/interview/", views.interview, name="interview"),
    path("cases/<int:pk>/concern/", views.concern, name="concern"),
    path("cases/<int:pk>/corroboration/", views.corroboration, name="corroboration"),
    path("cases/<int:pk>/referral/", views.referral, name="referral"),
    path("cases/<int:pk>/assessment/", views.assessment, name="assessment"),
    path("cases/<int:pk>/propose/", views.propose, name="propose"),
    path("cases/<int:pk>/review/", views.review, name="review"),
    path("cases/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("cases/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("cases/<int:pk>/clearance/", views.clearance, name="clearance"),
]
