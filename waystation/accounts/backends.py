"""The one authentication backend: Django's ModelBackend (password check, active members
only), with the user row read from SQL compiled once per thread. That read runs on every
signed-in request; building and compiling the query through the ORM each time was a third of a
bare signed-in page's own work."""

from django.contrib.auth.backends import ModelBackend

from waystation.core.prepared import prepared_get

from .models import User


class MemberBackend(ModelBackend):
    def get_user(self, user_id):
        user = prepared_get(User, user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
