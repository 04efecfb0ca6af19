"""The admin change list's page around its rows (busanhub/admin_page.py: filters, search form,
date hierarchy, pagination) is byte for byte what Django's own tags render: every registered
change list in both languages, the five staff queues each by its role, with filters, a search,
facets, a date drill-down and a second page; and Django's code still runs where a template is
overridden."""

import datetime
import re
import zoneinfo
from pathlib import Path
from types import SimpleNamespace

import django.contrib.admin
import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token

from bench import city
from busanhub import admin_page
from busanhub.accounts.tests.factories import StaffFactory
from safety.models import Report

pytestmark = pytest.mark.django_db

# Each response masks the CSRF token anew (Django's, a random mask per request).
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

QUEUES = [
    ("staff-safety", "admin:safety_report_changelist"),
    ("staff-vouchers", "admin:vouchers_payment_changelist"),
    ("staff-exchange", "admin:exchange_order_changelist"),
    ("staff-logistics", "admin:logistics_event_changelist"),
    ("staff-education", "admin:education_enrollment_changelist"),
]


@pytest.fixture
def seeded_city():
    return city.seed_city(counts=city.Counts(), prefix="tiny")


@pytest.fixture
def staff_client(client, settings):
    settings.ADMIN_REQUIRE_MFA = False

    def sign_in(role):
        user = StaffFactory(is_superuser=role == "superuser")
        if role != "superuser":
            user.groups.add(Group.objects.get(name=role))
        client.force_login(user)
        # The session's first page applies the user's preferred language; then the language
        # cookie decides (both() sets it).
        client.get(reverse("admin:index"))
        return client

    return sign_in


def both(client, url, query=None, language="en"):
    """The page through Django's tags and through admin_page's, CSRF tokens blanked."""
    # The language cookie (set on the first page from the user's preferred language) decides.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    pages = []
    for fast in (False, True):
        admin_page.FAST = fast
        try:
            response = client.get(url, query or {})
        finally:
            admin_page.FAST = True
        assert response.status_code == 200, (url, query)
        assert f'<html lang="{language}"' in response.text
        pages.append(CSRF.sub('name="csrfmiddlewaretoken" value=""', response.text))
    return pages


def test_every_change_list_page_is_djangos_in_both_languages(seeded_city, staff_client):
    # Given a tiny city, an API token (DRF's token list makes its rows' URLs itself) and a
    # superuser
    Token.objects.create(user=StaffFactory())
    client = staff_client("superuser")
    compared = 0
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        for language in ("en", "ko"):
            # When a change list renders through Django's tags and through admin_page's
            django_html, fast_html = both(client, url, language=language)
            # Then the pages are the same, byte for byte
            assert fast_html == django_html, (model._meta.label, language)
            compared += 1
    assert compared >= 60


@pytest.mark.parametrize(("role", "url_name"), QUEUES)
@pytest.mark.parametrize("language", ["en", "ko"])
def test_each_staff_queue_is_djangos_for_its_role(
    seeded_city, staff_client, role, url_name, language
):
    # Given the queue's own staff role
    client = staff_client(role)
    url = reverse(url_name)
    # When the queue renders both ways, plain, with facets and searched
    for query in ({}, {"_facets": "1"}, {"q": "tiny"}):
        django_html, fast_html = both(client, url, query, language)
        # Then they are the same
        assert fast_html == django_html, (role, query)
        assert 'id="changelist"' in fast_html


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("admin:safety_report_changelist", {"status__exact": "submitted"}),
        ("admin:safety_report_changelist", {"status__exact": "new", "q": "e", "o": "-3.2"}),
        ("admin:safety_report_changelist", {"_facets": "1", "status__exact": "new"}),
        ("admin:vouchers_payment_changelist", {"merchant__tier": "small"}),
        ("admin:exchange_order_changelist", {"side__exact": "buy", "o": "6"}),
        ("admin:education_enrollment_changelist", {"status__exact": "active", "q": "tiny"}),
        # Values that need encoding and escaping: a space, an ampersand, quotes, Hangul
        ("admin:safety_report_changelist", {"q": 'a & "b" <c> 해운대'}),
    ],
)
def test_a_filtered_searched_ordered_page_is_djangos(seeded_city, staff_client, url_name, query):
    # Given staff with a filter, a search or an ordering (every filter link carries them)
    client = staff_client("superuser")
    # When the page renders both ways, then it is the same
    django_html, fast_html = both(client, reverse(url_name), query)
    assert fast_html == django_html


def test_the_date_hierarchy_drilled_down_is_djangos(seeded_city, staff_client):
    # Given the safety queue opened at a year, a month and a day of its reports
    client = staff_client("superuser")
    created = Report.objects.order_by("pk").first().created_at
    url = reverse("admin:safety_report_changelist")
    for query in (
        {"created_at__year": created.year},
        {"created_at__year": created.year, "created_at__month": created.month},
        {
            "created_at__year": created.year,
            "created_at__month": created.month,
            "created_at__day": created.day,
        },
    ):
        # When it renders both ways, then the hierarchy's links are the same
        django_html, fast_html = both(client, url, query)
        assert fast_html == django_html, query
        assert 'class="toplinks"' in fast_html


def spread_reports(days_apart):
    """The reports' dates from one Seoul morning on, `days_apart` days between two reports."""
    start = datetime.datetime(2025, 11, 30, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Seoul"))
    for number, pk in enumerate(Report.objects.order_by("pk").values_list("pk", flat=True)):
        Report.objects.filter(pk=pk).update(
            created_at=start + datetime.timedelta(days=days_apart * number)
        )


@pytest.mark.parametrize(
    ("days_apart", "query"),
    [
        (0.01, {}),  # one month: its days
        (1, {}),  # 20 days from Nov 30: a year's months
        (40, {}),  # 20 reports 40 days apart: the years
        (1, {"q": "no report says this"}),  # an empty list
        (1, {"created_at__year": "2025"}),  # drilled down
    ],
)
def test_the_date_hierarchy_at_each_level_is_djangos_with_djangos_queries(
    seeded_city, staff_client, days_apart, query
):
    # Given reports that span a month, months or years
    spread_reports(days_apart)
    client = staff_client("superuser")
    url = reverse("admin:safety_report_changelist")
    client.get(url, query)  # the first page also keeps the admin's app list
    queries = []
    for fast in (False, True):
        admin_page.FAST = fast
        try:
            with CaptureQueriesContext(connection) as captured:
                client.get(url, query)
        finally:
            admin_page.FAST = True
        queries.append([q["sql"] for q in captured])

    # When the page renders both ways, then the hierarchy is the same
    django_html, fast_html = both(client, url, query)
    assert fast_html == django_html
    assert 'class="toplinks"' in fast_html
    # and asks what Django asks: the earliest and latest date (two probes of the index), not
    # every row's month, before one level's dates
    assert len(queries[1]) == len(queries[0])
    assert sum("DISTINCT DATE_TRUNC" in sql for sql in queries[1]) <= 1


@pytest.mark.parametrize("page", [None, "1", "2", "5"])
def test_pages_of_a_long_list_are_djangos(seeded_city, staff_client, monkeypatch, page):
    # Given the safety queue two reports a page (first, middle and last pages, the elision)
    client = staff_client("superuser")
    model_admin = admin.site._registry[Report]
    monkeypatch.setattr(model_admin, "list_per_page", 2)
    monkeypatch.setattr(model_admin, "list_max_show_all", 10_000)
    query = {} if page is None else {"p": page}
    # When a page renders both ways, then the pagination is the same
    django_html, fast_html = both(client, reverse("admin:safety_report_changelist"), query)
    assert fast_html == django_html
    assert 'class="paginator"' in fast_html


def test_query_strings_are_djangos():
    # Given a page's query with several keys, a repeated one and characters to encode (as
    # ChangeList keeps it: filter_params, each key's list of values)
    query = QueryDict("b=2&b=1&a=x+y&c__in=1%2C2&q=%ED%95%B4%EC%9A%B4%EB%8C%80%26&z=")
    changelist = SimpleNamespace(filter_params=dict(query.lists()))
    links = admin_page.QueryStrings(changelist.filter_params)
    cases = [
        ({}, ()),
        ({"a": None}, ()),
        ({"d": None, "a": "z"}, ()),
        ({"p": 3}, ()),
        ({"b": ["9", "8"], "e": True}, ["c__"]),
        ({"e": 1}, ["c", "q"]),
        ({"c__in": []}, ()),
        ({"a": "é/?"}, ["b"]),
        ({"z": "", "y": 0}, ()),
    ]
    for new_params, remove in cases * 2:  # twice: the kept parts give the same text
        # When both build the link, then it is the same
        djangos = ChangeList.get_query_string(changelist, new_params, remove)  # type: ignore[arg-type]
        assert links.get(new_params, remove) == djangos, (new_params, remove)


def test_the_actions_form_follows_the_users_permissions_and_language(seeded_city, staff_client):
    # Given education staff who may delete courses (the course list's actions: publish, and
    # deleting for those who may delete)
    group = Group.objects.get(name="staff-education")
    delete = Permission.objects.get(codename="delete_course", content_type__app_label="education")
    group.permissions.add(delete)
    client = staff_client("staff-education")
    url = reverse("admin:education_course_changelist")

    # When the list opens twice (the second time from the kept fields), then it offers both
    for _ in range(2):
        django_html, fast_html = both(client, url)
        assert fast_html == django_html
        assert 'value="delete_selected"' in fast_html
        assert 'value="publish"' in fast_html

    # When the permission to delete is withdrawn, then the next page no longer offers it
    group.permissions.remove(delete)
    django_html, fast_html = both(client, url)
    assert fast_html == django_html
    assert 'value="delete_selected"' not in fast_html
    assert 'value="publish"' in fast_html

    # When the list opens in Korean, then its actions are named in Korean
    django_ko, fast_ko = both(client, url, language="ko")
    assert fast_ko == django_ko
    assert fast_ko != fast_html


def test_the_actions_template_is_djangos_but_for_its_kept_fields():
    # Given Django's admin/actions.html and the project's (templates/admin/actions.html)
    djangos = (
        Path(django.contrib.admin.__file__).parent / "templates" / "admin" / "actions.html"
    ).read_text(encoding="utf-8")
    ours = (Path(settings.BASE_DIR) / "templates" / "admin" / "actions.html").read_text(
        encoding="utf-8"
    )
    # Then ours is Django's with its loop over the fields given to {% action_form_fields %}
    expected = djangos.replace("{% load i18n %}", "{% load i18n admin_page %}", 1).replace(
        admin_page.ACTION_FIELDS, "{% action_form_fields action_form %}", 1
    )
    assert ours == expected != djangos
