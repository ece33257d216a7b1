from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("login/code/", views.sign_in_code, name="sign_in_code"),
    path("logout/", views.sign_out, name="logout"),
    path("account/", views.account, name="account"),
    path("account/second-factor/", views.totp_enrol, name="totp_enrol"),
    path("account/recovery-codes/", views.recovery_codes_renew, name="recovery_codes_renew"),
    path("invite/<str:token>/", views.invite_accept, name="invite_accept"),
    path("team/", views.users, name="users"),
    path("team/invite/", views.invite_new, name="invite_new"),
    path("team/invite/<int:pk>/revoke/", views.invite_revoke, name="invite_revoke"),
    path("team/<int:pk>/", views.user_detail, name="user_detail"),
    path("team/<int:pk>/<slug:action>/", views.user_action, name="user_action"),
]
