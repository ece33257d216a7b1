from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "waystation.accounts"
    label = "accounts"
