from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Every new account joins the `citizen` role and keeps the language it signed up in."""

    def save_user(self, request, user, form, commit=True):
        from django.utils import translation

        language = translation.get_language() or "ko"
        user.preferred_language = "en" if language.startswith("en") else "ko"
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            from busanhub.accounts.roles import role_assign

            role_assign(user=user, role="citizen")
        return user
