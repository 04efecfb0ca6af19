import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UserManager(DjangoUserManager["User"]):
    """Email is the login; there is no username."""

    use_in_migrations = True

    def get(self, *args: Any, **kwargs: Any) -> "User":
        """`User.objects.get(pk=…)` (what Django's ModelBackend asks on every request signed
        in by its session) by one prepared statement (user_rows.py): the same instance and the
        same DoesNotExist, without building the query. Any other lookup is the ORM's."""
        if not args and len(kwargs) == 1 and self._db is None:
            ((name, value),) = kwargs.items()
            if name in ("pk", "id"):
                from .user_rows import is_bigint, user_by_pk

                if isinstance(value, str) and value.isascii() and value.isdigit():
                    value = int(value)
                if is_bigint(value):
                    user = user_by_pk(value)
                    if user is None:
                        raise self.model.DoesNotExist(
                            f"{self.model._meta.object_name} matching query does not exist."
                        )
                    return user
        return super().get(*args, **kwargs)

    def _create_user(self, email: str | None, password: str | None, **extra_fields: Any) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    # Email is the first argument where Django's manager has a username: not substitutable.
    def create_user(  # type: ignore[override]
        self, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> "User":
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    class Language(models.TextChoices):
        KOREAN = "ko", _("Korean")
        ENGLISH = "en", _("English")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("name"), max_length=150, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.KOREAN
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.name or self.email

    def get_short_name(self) -> str:
        return self.name or self.email.split("@")[0]

    def has_module_perms(self, app_label: str) -> bool:
        # The admin asks this of every registered model on every page (its app list): the
        # backends' answer scans all of the user's permissions each time (74 models x 2
        # backends, a quarter of a change list's CPU). The same answer from the set of app
        # labels, made once per user object (per request, like Django's own _perm_cache).
        if self.is_active and self.is_superuser:
            return True
        labels = self.__dict__.get("_module_labels")
        if labels is None:
            # Every backend here is a ModelBackend: its has_module_perms is "active and some
            # permission of that app", and get_all_permissions() is empty for the inactive.
            labels = {perm.split(".", 1)[0] for perm in self.get_all_permissions()}
            self.__dict__["_module_labels"] = labels
        return app_label in labels


class Consent(models.Model):
    """A person's acceptance of one version of the terms or the privacy policy (PIPA art. 22:
    the portal must be able to show what was agreed to, and when). Append-only."""

    class Document(models.TextChoices):
        TERMS = "terms", _("Terms of use")
        PRIVACY = "privacy", _("Privacy policy")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="consents", verbose_name=_("user")
    )
    document = models.CharField(_("document"), max_length=16, choices=Document.choices)
    version = models.CharField(pgettext_lazy("legal document", "version"), max_length=32)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "document", "version"], name="consent_once_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.document} {self.version}"
