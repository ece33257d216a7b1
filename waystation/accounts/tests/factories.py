import factory

from waystation.accounts.models import User

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"member{n}")
    display_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @classmethod
    def _create(cls, model_class, *args, totp_secret="", **kwargs):
        # The secret is encrypted bound to the row id, which exists only after the insert.
        user = super()._create(model_class, *args, **kwargs)
        if totp_secret:
            user.totp_secret = totp_secret
            user.save(update_fields=["totp_secret"])
        return user

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.set_roles(extracted)
            self.save(update_fields=["role_codes"])
