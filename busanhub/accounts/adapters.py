from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Every new account joins the `citizen` role, keeps the language it signed up in and the
    name it gave, and records the versions of the terms and privacy policy it accepted."""

    def save_user(self, request, user, form, commit=True):
        from django.utils import translation

        language = translation.get_language() or "ko"
        user.preferred_language = "en" if language.startswith("en") else "ko"
        user.name = (form.cleaned_data.get("name") or "").strip()
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            from busanhub.accounts.legal import VERSIONS
            from busanhub.accounts.roles import role_assign
            from busanhub.accounts.services import consent_record

            role_assign(user=user, role="citizen")
            if form.cleaned_data.get("accept_terms"):
                consent_record(user=user, versions=VERSIONS)
        return user
