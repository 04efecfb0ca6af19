"""The admin change lists' rows (busanhub/admin_lists.py) are byte for byte what Django's own
`{% result_list %}` renders, on every registered change list over a tiny seeded city, in both
languages, with a filter, a search and an ordering; and the pages still show their rows."""

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from rest_framework.authtoken.models import Token

from bench import city
from busanhub import admin_lists
from busanhub.accounts.tests.factories import StaffFactory
from safety.models import Report

pytestmark = pytest.mark.django_db

DJANGO = Template("{% load admin_list %}{% result_list cl %}")
FAST = Template("{% load admin_lists %}{% fast_result_list cl %}")


def both(changelist):
    context = {"cl": changelist, "opts": changelist.opts}
    return DJANGO.render(Context(context)), FAST.render(Context(context))


def changelist_for(model_admin, user, query=None):
    request = RequestFactory().get("/", query or {})
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    changelist.formset = None  # changelist_view sets it: no list_editable in this project
    return changelist


@pytest.fixture
def seeded_city():
    return city.seed_city(counts=city.Counts(), prefix="tiny")


@pytest.fixture
def superuser():
    return StaffFactory(is_superuser=True)


def test_every_change_list_renders_the_same_rows_as_djangos_in_both_languages(
    seeded_city, superuser
):
    # Given a tiny city, an API token (DRF's token list makes its rows' URLs itself), and every
    # registered change list that has rows
    Token.objects.create(user=superuser)
    compared = 0
    for model, model_admin in admin.site._registry.items():
        for language in ("en", "ko"):
            with translation.override(language):
                changelist = changelist_for(model_admin, superuser)
                if not changelist.result_list:
                    continue
                # When both render the rows
                django_html, fast_html = both(changelist)
                # Then they are the same, byte for byte
                assert fast_html == django_html, (model._meta.label, language)
                # (a ChangeList with its own row URLs goes to Django's code)
                own_urls = type(changelist).url_for_result is not ChangeList.url_for_result
                assert admin_lists.is_fast(changelist) is not own_urls, model._meta.label
                compared += 1
    assert compared >= 30


@pytest.mark.parametrize(
    ("url_name", "query"),
    [
        ("admin:safety_report_changelist", {"status__exact": "new"}),
        ("admin:safety_report_changelist", {"o": "-3.2", "q": "e"}),
        ("admin:vouchers_payment_changelist", {"merchant__tier": "small"}),
        ("admin:exchange_order_changelist", {"side__exact": "buy", "o": "6"}),
        ("admin:logistics_event_changelist", {"o": "2"}),
        ("admin:education_enrollment_changelist", {"status__exact": "active", "q": "tiny"}),
    ],
)
def test_a_filtered_searched_ordered_list_renders_the_same_rows(
    seeded_city, superuser, url_name, query
):
    # Given one of the staff's queues with a filter, a search or an ordering (its links
    # carry the filters back: _changelist_filters)
    model_admin = next(
        model_admin
        for model, model_admin in admin.site._registry.items()
        if url_name == f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
    )
    changelist = changelist_for(model_admin, superuser, query)

    # When both render the rows, then they are the same
    django_html, fast_html = both(changelist)
    assert fast_html == django_html
    assert "<tr>" in fast_html or not changelist.result_list


def test_the_safety_queue_page_shows_each_row_with_its_filtered_link_and_checkbox(
    client, settings, seeded_city, superuser
):
    # Given staff signed in
    settings.ADMIN_REQUIRE_MFA = False
    client.force_login(superuser)

    # When the safety queue opens, filtered to one status
    status = Report.objects.order_by("pk").first().status
    response = client.get(reverse("admin:safety_report_changelist"), {"status__exact": status})

    # Then every report of the page has its change link, which keeps the filter, and its
    # action checkbox
    assert response.status_code == 200
    changelist = response.context_data["cl"]
    assert len(changelist.result_list) > 0
    for report in changelist.result_list:
        change_url = reverse("admin:safety_report_change", args=[report.pk])
        link = f'<a href="{change_url}?_changelist_filters=status__exact%3D{status}">'
        assert f'<th class="field-short_id">{link}{str(report.public_id)[:8]}</a></th>' in (
            response.text
        )
        assert f'name="_selected_action" value="{report.pk}"' in response.text


@pytest.mark.parametrize("language", ["en", "ko"])
def test_datetimes_of_one_minute_are_formatted_as_django_formats_each(language):
    # Given datetimes that share a minute, a noon and a midnight, in two zones
    import datetime
    import zoneinfo

    from django.utils import dateformat
    from django.utils.formats import get_format

    seoul, utc = zoneinfo.ZoneInfo("Asia/Seoul"), datetime.UTC
    moments = [
        datetime.datetime(2026, 12, 5, 9, 41, second, micro, tzinfo=zone)
        for zone in (seoul, utc)
        for second, micro in ((0, 0), (17, 250), (59, 999_999))
    ]
    moments += [
        datetime.datetime(2026, 12, 5, 0, 0, 30, tzinfo=seoul),
        datetime.datetime(2026, 12, 5, 12, 0, 30, tzinfo=seoul),
        datetime.datetime(2026, 12, 5, 3, 0, 30, tzinfo=utc),  # the instant of Seoul's noon
    ]
    with translation.override(language):
        # When one page's formats format them all, then each reads as Django formats it
        formats = admin_lists._Formats()
        for moment in moments * 2:
            assert formats.moment(moment) == dateformat.format(
                moment, get_format("DATETIME_FORMAT")
            )


def test_admin_method_columns_of_every_kind_render_as_djangos(seeded_city, superuser):
    # Given a change list whose columns are model-admin methods returning every kind of value
    # (text, blank text, None, a boolean with and without `boolean`, numbers, dates, a list,
    # safe HTML, a missing related row) and one with its own empty display
    from django.core.exceptions import ObjectDoesNotExist
    from django.utils.html import format_html

    from safety.admin import ReportAdmin

    def column(function, **display):
        return admin.display(**display)(function)

    class EveryKindAdmin(ReportAdmin):
        list_display = [
            "text",
            "blank",
            "spaces",
            "nothing",
            "flag",
            "flag_icon",
            "number",
            "amount",
            "day",
            "moment",
            "items",
            "link",
            "missing",
            "own_empty",
            "status",
        ]
        text = column(lambda self, obj: f"<b>{obj.public_id}</b>", description="text")
        blank = column(lambda self, obj: "")
        spaces = column(lambda self, obj: "   ")
        nothing = column(lambda self, obj: None)
        flag = column(lambda self, obj: obj.pk % 2 == 0)
        flag_icon = column(lambda self, obj: obj.pk % 3 == 0 or None, boolean=True)
        number = column(lambda self, obj: obj.pk * 1000)
        amount = column(lambda self, obj: obj.weight / 3)
        day = column(lambda self, obj: obj.created_at.date())
        moment = column(lambda self, obj: obj.created_at)
        items = column(lambda self, obj: [obj.status, obj.pk])
        link = column(lambda self, obj: format_html('<a href="/{}">x</a>', obj.pk))
        own_empty = column(lambda self, obj: "", empty_value="(none)")

        def missing(self, obj):
            raise ObjectDoesNotExist

    site = admin.AdminSite(name="every-kind")
    model_admin = EveryKindAdmin(Report, site)
    for language in ("en", "ko"):
        with translation.override(language):
            changelist = changelist_for(model_admin, superuser)
            assert changelist.result_list

            # When both render the rows, then they are the same, byte for byte
            django_html, fast_html = both(changelist)
            assert fast_html == django_html, language
