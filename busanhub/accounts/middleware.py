"""Keeps the interface language and the signed-in user's preferred language in step."""

import functools

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from busanhub.accounts.services import user_language_set

APPLIED_SESSION_KEY = "busanhub_language_applied"


@functools.cache
def _set_language_path() -> str:
    """The language switch's path (the URLconf does not change while a process runs)."""
    return reverse("set_language")


class PreferredLanguageMiddleware:
    """Place after AuthenticationMiddleware.

    - On the first request of a signed-in session (i.e. right after login), the user's
      preferred_language becomes the interface language and the language cookie is set, so a
      shared browser does not keep the previous visitor's choice.
    - When a signed-in user posts the language switch (django's set_language view), the
      choice is saved as their preferred_language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Once the preference is applied (the session says so: only a signed-in session ever
        # does, and logging out flushes it) only a language switch concerns this middleware:
        # every other request passes without loading the user, which an API call
        # authenticated by its token, say, never needs from the session.
        # A call carrying its own credentials (an API token) is not the browser's session
        # (its preference is applied on the session's next page): the session is not loaded,
        # a cache round trip an API call would otherwise pay when it also sends the cookie.
        if "HTTP_AUTHORIZATION" in request.META:
            return self.get_response(request)
        switch = request.method == "POST" and request.path == _set_language_path()
        session = getattr(request, "session", None)
        if session is not None and session.get(APPLIED_SESSION_KEY) and not switch:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        apply_preference = not request.session.get(APPLIED_SESSION_KEY)
        if apply_preference:
            translation.activate(user.preferred_language)
            request.LANGUAGE_CODE = user.preferred_language

        response = self.get_response(request)

        if switch:
            if response.status_code in (302, 204):
                user_language_set(user=user, language=request.POST.get("language", ""))
            request.session[APPLIED_SESSION_KEY] = True
        elif apply_preference and request.user.is_authenticated:
            # request.user is re-read: a logout during this request leaves nothing to apply.
            request.session[APPLIED_SESSION_KEY] = True
            set_language_cookie(response, user.preferred_language)
        return response


def set_language_cookie(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
