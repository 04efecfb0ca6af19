import factory
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group

from busanhub.accounts.models import User

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    """A user who can sign in: verified primary email, known password."""

    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"citizen{n}@example.kr")
    name = factory.Faker("name", locale="ko_KR")
    preferred_language = User.Language.KOREAN
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@busan.go.kr")
    is_staff = True
