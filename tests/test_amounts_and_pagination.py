"""The platform's money display (busanhub.amounts, the `amount` and `won` template builtins)
and its one pagination (busanhub.pagination + includes/pagination.html)."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from busanhub.amounts import grouped
from busanhub.pagination import page_of


@pytest.mark.parametrize(
    ("units", "decimals", "text"),
    [
        (0, 0, "0"),
        (999, 0, "999"),
        (109_200, 0, "109,200"),
        (-1_234_567, 0, "-1,234,567"),
        (150_000_000, 9, "0.15"),
        (1_234_500_000_000, 9, "1,234.5"),
        (1_000_000_000, 9, "1"),
        (123_456_789, 2, "1,234,567.89"),
    ],
)
def test_grouped(units, decimals, text):
    assert grouped(units, decimals) == text


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


@pytest.mark.parametrize(("language", "text"), [("ko", "109,200원"), ("en", "109,200 KRW")])
def test_won_in_each_language(language, text):
    with translation.override(language):
        assert render("{{ value|won }}", value=109_200) == text


def test_amount_needs_no_load_and_tolerates_empty_values():
    assert (
        render(
            "{{ a|amount }}|{{ b|amount:9 }}|{{ c|amount }}|{{ d|won }}",
            a=5500,
            b=10**9,
            c=None,
            d="x",
        )
        == "5,500|1|—|—"
    )


def test_the_exchange_units_filter_is_the_platforms_grouping():
    from exchange.amounts import from_units

    assert from_units(1_234_500_000_000, 9) == grouped(1_234_500_000_000, 9) == "1,234.5"


@pytest.mark.parametrize(
    ("query", "number", "count_text"),
    [
        ({}, 1, "1–20 of 134"),
        ({"page": "7"}, 7, "121–134 of 134"),
        ({"page": "99"}, 7, "121–134 of 134"),
        ({"page": "nope"}, 1, "1–20 of 134"),
    ],
)
def test_page_of_and_the_include(query, number, count_text):
    request = RequestFactory().get("/list/", {"q": "busan", **query})

    page = page_of(request, list(range(134)))
    with translation.override("en"):
        html = render('{% include "includes/pagination.html" with page=page %}', page=page)

    assert page.number == number
    assert count_text in html
    assert f"Page {number} of 7" in html
    if number > 1:
        assert f'href="?q=busan&amp;page={number - 1}"' in html
    if number < 7:
        assert f'href="?q=busan&amp;page={number + 1}"' in html


def test_the_include_in_korean_and_for_an_empty_list():
    request = RequestFactory().get("/list/")
    with translation.override("ko"):
        html = render(
            '{% include "includes/pagination.html" with page=page %}',
            page=page_of(request, list(range(1234))),
        )
        empty = render(
            '{% include "includes/pagination.html" with page=page %}',
            page=page_of(request, []),
        )

    assert "전체 1,234개 중 1–20" in html and "다음" in html
    assert empty.strip() == ""


@pytest.mark.django_db
@pytest.mark.parametrize(("rows", "queries", "count_text"), [(5, 1, "1–5 of 5"), (0, 1, "")])
def test_a_first_page_that_holds_the_whole_list_needs_no_count(
    django_assert_num_queries, rows, queries, count_text
):
    from django.contrib.auth.models import Group

    Group.objects.bulk_create(Group(name=f"group {n:02}") for n in range(rows))
    request = RequestFactory().get("/list/")

    with django_assert_num_queries(queries):
        page = page_of(request, Group.objects.filter(name__startswith="group ").order_by("name"))
        names = [group.name for group in page]
    with translation.override("en"):
        html = render('{% include "includes/pagination.html" with page=page %}', page=page)

    assert names == [f"group {n:02}" for n in range(rows)]
    assert page.paginator.count == rows and not page.has_next()
    assert count_text in html


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "names"), [({}, range(20)), ({"page": "2"}, range(20, 25))])
def test_a_longer_list_still_counts_its_rows(django_assert_num_queries, query, names):
    from django.contrib.auth.models import Group

    Group.objects.bulk_create(Group(name=f"group {n:02}") for n in range(25))
    request = RequestFactory().get("/list/", query)

    with django_assert_num_queries(2):
        page = page_of(request, Group.objects.filter(name__startswith="group ").order_by("name"))
        listed = [group.name for group in page]
    with translation.override("en"):
        html = render('{% include "includes/pagination.html" with page=page %}', page=page)

    assert listed == [f"group {n:02}" for n in names]
    assert page.paginator.count == 25 and page.paginator.num_pages == 2
    assert ("1–20 of 25" if not query else "21–25 of 25") in html


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{}, {"page": "2"}])
def test_a_first_page_read_and_counted_another_way_is_the_querysets(
    django_assert_num_queries, query
):
    from django.contrib.auth.models import Group

    from busanhub.pagination import is_first_page

    Group.objects.bulk_create(Group(name=f"group {n:02}") for n in range(25))
    groups = Group.objects.filter(name__startswith="group ").order_by("name")
    request = RequestFactory().get("/list/", query)
    counted = []

    def count():
        counted.append(True)
        return 25

    first_rows = list(groups[:21]) if is_first_page(request) else None  # a statement's rows

    # When the first page comes from those rows and `count`, another from the queryset
    with django_assert_num_queries(0 if not query else 2):
        page = page_of(request, groups, first_rows=first_rows, count=count)
        listed = [group.name for group in page]

    # Then both read the same rows with the same count
    assert counted == ([True] if not query else [])
    assert listed == [f"group {n:02}" for n in (range(20) if not query else range(20, 25))]
    assert page.paginator.count == 25 and page.paginator.num_pages == 2
