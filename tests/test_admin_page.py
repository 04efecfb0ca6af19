"""The admin change list's page around its rows (busanhub/admin_page.py: filters, search form,
date hierarchy, pagination) is byte for byte what Django's own tags render: every registered
change list in both languages, the five staff queues each by its role, with filters, a search,
facets, a date drill-down and a second page; and Django's code still runs where a template is
overridden."""

import re
from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import Group
from django.http import QueryDict
from django.urls import reverse
from django.utils import translation

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
# Its rows fail on both paths (busanhub/admin_lists.py builds the change URL from a sentinel
# row, TokenChangeList.url_for_result reads `row.user`): the rows' module, not this page's.
ROWS_FAIL = {"authtoken.tokenproxy"}


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
        return client

    return sign_in


def both(client, url, query=None, language="en"):
    """The page through Django's tags and through admin_page's, CSRF tokens blanked."""
    pages = []
    for fast in (False, True):
        admin_page.FAST = fast
        try:
            with translation.override(language):
                response = client.get(url, query or {}, HTTP_ACCEPT_LANGUAGE=language)
        finally:
            admin_page.FAST = True
        assert response.status_code == 200, (url, query)
        pages.append(CSRF.sub('name="csrfmiddlewaretoken" value=""', response.text))
    return pages


def test_every_change_list_page_is_djangos_in_both_languages(seeded_city, staff_client):
    # Given a tiny city and a superuser
    client = staff_client("superuser")
    compared = 0
    for model in admin.site._registry:
        if model._meta.label_lower in ROWS_FAIL:
            continue
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
