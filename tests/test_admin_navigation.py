"""The admin's app list and sidebar, kept per set of permissions (busanhub/accounts/
admin_navigation.py), are what Django builds for the same user, language and page; a granted or
withdrawn permission shows on the user's next page; one role never sees another's models."""

from pathlib import Path

import django.contrib.admin
import pytest
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import Group, Permission
from django.template import Context, engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from busanhub.accounts import admin_navigation
from busanhub.accounts.models import User
from busanhub.accounts.roles import ADMIN_ROLES
from busanhub.accounts.tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

DJANGO_SIDEBAR = engines["django"].engine.from_string(
    (
        Path(django.contrib.admin.__file__).parent / "templates" / "admin" / "nav_sidebar.html"
    ).read_text(encoding="utf-8")
)
LISTS = [
    "admin:vouchers_payment_changelist",
    "admin:safety_report_changelist",
    "admin:exchange_order_changelist",
    "admin:logistics_event_changelist",
    "admin:education_enrollment_changelist",
]


@pytest.fixture(autouse=True)
def fresh_navigation(settings):
    settings.ADMIN_REQUIRE_MFA = False
    admin_navigation.navigation_clear()
    yield
    admin_navigation.navigation_clear()


def request_for(user, path="/admin/"):
    request = RequestFactory().get(path)
    request.user = User.objects.get(pk=user.pk)  # a new request loads the user anew
    return request


def djangos_app_list(request):
    """Django's own get_app_list (no keeping), names as the template shows them."""
    apps = AdminSite.get_app_list(admin.site, request)
    for app in apps:
        app["name"] = str(app["name"])
        for model in app["models"]:
            model["name"] = str(model["name"])
    return apps


def djangos_sidebar(request):
    context = Context({"request": request, "available_apps": djangos_app_list(request)})
    with context.bind_template(DJANGO_SIDEBAR):
        return DJANGO_SIDEBAR.render(context)


@pytest.mark.parametrize("role", [*ADMIN_ROLES, "superuser"])
def test_each_roles_app_list_is_djangos_in_both_languages(role):
    # Given a staff member of the role (or a superuser)
    superuser = role == "superuser"
    user = StaffFactory(is_superuser=True) if superuser else StaffFactory(roles=[role])
    for language in ("en", "ko"):
        with translation.override(language):
            # When the site's app list is asked twice (built, then kept)
            built = admin.site.get_app_list(request_for(user))
            kept = admin.site.get_app_list(request_for(user))

            # Then both are what Django builds for this user and language
            assert kept is built
            assert kept == djangos_app_list(request_for(user)), (role, language)


@pytest.mark.parametrize("url_name", LISTS)
def test_a_change_list_page_carries_djangos_sidebar_with_its_current_model(client, url_name):
    # Given a superuser, who sees every model
    user = StaffFactory(is_superuser=True, preferred_language="en")
    client.force_login(user)
    path = reverse(url_name)

    for language in ("en", "ko"):
        client.cookies["django_language"] = language
        # When the change list opens twice (the sidebar is rendered, then kept), after
        # another list has been kept for the same user
        client.get(reverse("admin:vouchers_settlement_changelist"))
        first = client.get(path).text
        second = client.get(path).text

        # Then the page holds Django's sidebar for this page, its model marked current
        with translation.override(language):
            expected = djangos_sidebar(request_for(user, path))
        assert expected in first, (url_name, language)
        assert expected in second
        assert expected.count('aria-current="page"') == 1
        assert f'<a href="{path}" aria-current="page">' in expected


def test_a_granted_and_withdrawn_permission_shows_on_the_next_page(client):
    # Given a voucher staff member, whose sidebar has no exchange orders, seen once (kept)
    user = StaffFactory(roles=["staff-vouchers"], preferred_language="en")
    client.force_login(user)
    orders = reverse("admin:exchange_order_changelist")
    payments = reverse("admin:vouchers_payment_changelist")
    assert f'href="{orders}"' not in client.get(payments).text

    # When the role's group is granted viewing orders
    permission = Permission.objects.get(codename="view_order", content_type__app_label="exchange")
    Group.objects.get(name="staff-vouchers").permissions.add(permission)

    # Then the next page's sidebar links them, as Django's would
    page = client.get(payments).text
    assert f'href="{orders}"' in page
    assert djangos_sidebar(request_for(user, payments)) in page

    # And when it is withdrawn again, the link goes on the next page
    Group.objects.get(name="staff-vouchers").permissions.remove(permission)
    assert f'href="{orders}"' not in client.get(payments).text
    assert client.get(orders).status_code == 403


def test_two_roles_never_see_each_others_models():
    # Given two staff of different roles, each seen once (kept)
    safety = StaffFactory(roles=["staff-safety"])
    exchange = StaffFactory(roles=["staff-exchange"])
    for user in (safety, exchange, safety, exchange):
        admin.site.get_app_list(request_for(user))

    # When each asks again, then each has their own app list, as Django builds it
    labels = {}
    for user in (safety, exchange):
        apps = admin.site.get_app_list(request_for(user))
        assert apps == djangos_app_list(request_for(user))
        labels[user.pk] = [app["app_label"] for app in apps]
    assert labels[safety.pk] == ["safety"]
    assert labels[exchange.pk] == ["exchange"]
