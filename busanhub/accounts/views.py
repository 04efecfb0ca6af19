from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_http_methods

from busanhub import registry
from busanhub.accounts import legal
from busanhub.accounts.forms import ProfileForm, ResendConfirmationForm
from busanhub.accounts.middleware import set_language_cookie
from busanhub.accounts.services import api_token_revoke, api_token_rotate, user_profile_update
from busanhub.errors import error_for_path


def home(request):
    return render(request, "home.html", {"services": registry.services()})


def legal_page(request, document: str):
    """The terms of use or the privacy policy, in the active language."""
    return render(
        request,
        legal.template_for(document),
        {
            "version": legal.VERSIONS[document],
            "effective_date": legal.EFFECTIVE_DATE,
            "privacy_contact": settings.PRIVACY_CONTACT_EMAIL,
            "other_url": reverse("accounts:privacy" if document == "terms" else "accounts:terms"),
        },
    )


def privacy(request):
    return legal_page(request, "privacy")


def terms(request):
    return legal_page(request, "terms")


@require_http_methods(["GET", "POST"])
def resend_confirmation(request):
    """Sends the e-mail confirmation link again to an address still waiting for it.

    The answer is the same whether or not the address has an account (no way to learn who is
    signed up). Rate-limited twice: per IP (ACCOUNT_RATE_LIMITS "resend_confirmation") and per
    address (allauth's "confirm_email", the limit of every confirmation e-mail it sends).
    """
    from allauth.account.models import EmailAddress
    from allauth.core.ratelimit import consume, respond_429

    form = ResendConfirmationForm(request.POST or None, initial={"email": request.GET.get("email")})
    if request.method == "POST" and form.is_valid():
        if not consume(request, action="resend_confirmation"):
            return respond_429(request)
        email = form.cleaned_data["email"].lower()
        if consume(request, action="confirm_email", key=email):
            address = (
                EmailAddress.objects.filter(
                    email__iexact=email, verified=False, user__is_active=True
                )
                .select_related("user")
                .first()
            )
            if address is not None:
                address.send_confirmation(request)
        messages.info(
            request,
            _(
                "If an account with this address is waiting for confirmation, a new e-mail is "
                "on its way. You can ask again in a few minutes."
            ),
        )
        return redirect("accounts:resend-confirmation")
    return render(
        request,
        "accounts/resend_confirmation.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def dashboard(request):
    # Rendered inside the page ({% dashboard_panel %}): the context processors run once.
    panels = [
        {"panel": panel, "context": panel.context(request)} for panel in registry.dashboard_panels()
    ]
    return render(request, "accounts/dashboard.html", {"panels": panels})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = user_profile_update(
            user=request.user,
            name=form.cleaned_data["name"],
            preferred_language=form.cleaned_data["preferred_language"],
        )
        translation.activate(user.preferred_language)
        request.LANGUAGE_CODE = user.preferred_language
        messages.success(request, _("Your profile has been saved."))
        response = redirect("accounts:profile")
        set_language_cookie(response, user.preferred_language)
        return response
    return render(
        request,
        "accounts/profile.html",
        {"form": form, "profile_items": registry.profile_items(request.user)},
    )


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def api_token(request):
    """The REST API token: create or replace it (shown once), or revoke it. Re-authentication
    first, since a token acts as the user."""
    from rest_framework.authtoken.models import Token

    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if api_token_revoke(user=request.user):
                messages.success(request, _("Your API token has been revoked."))
            return redirect("accounts:api-token")
        new_key = api_token_rotate(user=request.user)
    current = Token.objects.filter(user=request.user).only("created").first()
    return render(request, "accounts/api_token.html", {"token": current, "new_key": new_key})


@requires_csrf_token
def error_403(request, exception=None):
    message = _("You do not have permission to perform this action.")
    answer = error_for_path(request, status_code=403, code="permission_denied", message=message)
    return answer or render(request, "403.html", status=403)


@requires_csrf_token
def error_404(request, exception=None):
    # An API's URL that resolves to no view (`/api/v1/exchange/orders/not-a-uuid/`) answers
    # in that API's error format, as its views' own 404s do.
    answer = error_for_path(request, status_code=404, code="not_found", message=_("Not found."))
    return answer or render(request, "404.html", {"request_path": request.path}, status=404)


@requires_csrf_token
def error_500(request):
    # No context processors: whatever broke the request may break them too.
    try:
        template = loader.get_template("500.html")
    except Exception:  # noqa: BLE001 - the last resort must answer
        return HttpResponseServerError(b"<h1>Server Error (500)</h1>", content_type="text/html")
    return HttpResponse(template.render(), status=500)
