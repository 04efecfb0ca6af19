"""The staff's five big change lists (busanhub/admin_big_lists.py, busanhub/admin_choices.py):
each role still sees exactly its list and its rows, a page reads only the columns it shows and
the filter choices it remembers (a new choice shows on the next page), and a whole large table
is numbered from PostgreSQL's estimate, said so on the page, while everything else is counted."""

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import city
from busanhub import admin_big_lists
from busanhub.accounts.tests.factories import StaffFactory
from education.models import Enrollment, University
from exchange.models import Market, Order
from logistics.models import Event
from safety.models import Category, Report
from vouchers.models import Payment

pytestmark = pytest.mark.django_db

# (list, the role whose list it is, its model, the largest number of queries of a page)
LISTS = [
    ("admin:safety_report_changelist", "staff-safety", Report, 9),
    ("admin:exchange_order_changelist", "staff-exchange", Order, 6),
    ("admin:logistics_event_changelist", "staff-logistics", Event, 9),
    ("admin:education_enrollment_changelist", "staff-education", Enrollment, 7),
    ("admin:vouchers_payment_changelist", "staff-vouchers", Payment, 6),
]
STAFF_ROLES = [role for _url, role, _model, _queries in LISTS]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.ADMIN_REQUIRE_MFA = False
    cache.clear()
    admin_big_lists._estimates.clear()
    yield
    cache.clear()
    admin_big_lists._estimates.clear()


@pytest.fixture
def seeded_city():
    return city.seed_city(counts=city.Counts(), prefix="big")


def model_admin_of(model):
    return admin.site._registry[model]


@pytest.mark.parametrize(("url_name", "role", "model", "max_queries"), LISTS)
def test_each_role_sees_its_own_list_with_every_row_and_no_other_list(
    client, seeded_city, url_name, role, model, max_queries
):
    # Given one member of each staff role
    members = {each: StaffFactory(roles=[each]) for each in STAFF_ROLES}

    for each, member in members.items():
        # When each opens this list
        client.force_login(member)
        response = client.get(reverse(url_name))

        # Then its own role sees the first page of every row, the others are refused
        if each == role:
            assert response.status_code == 200
            shown = [row.pk for row in response.context_data["cl"].result_list]
            total = model.objects.count()
            assert total > 0
            assert len(shown) == min(total, model_admin_of(model).list_per_page)
            assert set(shown) <= set(model.objects.values_list("pk", flat=True))
        else:
            assert response.status_code == 403, (each, url_name)


def test_an_instructor_sees_only_their_universitys_enrolments_counted_exactly(
    client, seeded_city, monkeypatch
):
    # Given an instructor of one university, and a table the estimate calls large
    from django.apps import apps

    from busanhub.accounts.roles import grant_app_permissions
    from education.tests.factories import InstructorFactory

    monkeypatch.setattr(admin_big_lists, "table_rows_estimate", lambda queryset: 5_000_000)
    university = Enrollment.objects.order_by("pk").first().course.university
    instructor = InstructorFactory(university=university)
    instructor.user.is_staff = True
    instructor.user.save(update_fields=["is_staff"])
    grant_app_permissions(apps, None, group_name="instructor", app_labels=["education"])
    client.force_login(instructor.user)

    # When the instructor opens the enrolments
    response = client.get(reverse("admin:education_enrollment_changelist"))

    # Then the rows are their university's, all of them, counted (their scope is a filter)
    changelist = response.context_data["cl"]
    own = Enrollment.objects.filter(course__university=university)
    assert {row.pk for row in changelist.result_list} == set(own.values_list("pk", flat=True))
    assert changelist.result_count == own.count()
    assert not changelist.result_count_is_estimate


@pytest.mark.parametrize(("url_name", "role", "model", "max_queries"), LISTS)
def test_a_page_reads_only_the_shown_columns_and_a_bounded_number_of_queries(
    client, seeded_city, url_name, role, model, max_queries, django_assert_max_num_queries
):
    # Given the list's staff member, its filter choices already read once
    client.force_login(StaffFactory(roles=[role]))
    client.get(reverse(url_name))

    # When the list opens again
    with django_assert_max_num_queries(max_queries):
        response = client.get(reverse(url_name))

    # Then no row loaded a column the list does not show (a deferred one would be read row by
    # row: the bound above catches that)
    rows = response.context_data["cl"].result_list
    assert rows
    assert all(row.get_deferred_fields() for row in rows)


def test_the_selected_rows_of_an_action_are_whole_rows():
    # Given the safety queue's change list
    model_admin = model_admin_of(Report)
    request = RequestFactory().get("/")
    request.user = StaffFactory(is_superuser=True)
    changelist = model_admin.get_changelist_instance(request)

    # When an action asks it for the selected rows, then they are not narrowed to the columns
    assert changelist.queryset.query.deferred_loading[0]
    assert not changelist.get_queryset(request).query.deferred_loading[0]


@pytest.mark.parametrize(
    ("url_name", "make_choice", "label"),
    [
        (
            "admin:safety_report_changelist",
            lambda: Category.objects.create(
                service_code="zz-new",
                name_ko="새 분류",
                name_en="A new category",
                department=Category.objects.first().department,
            ),
            "zz-new A new category",
        ),
        (
            "admin:safety_report_changelist",
            lambda: StaffFactory(email="new-assignee@busan.go.kr"),
            "new-assignee@busan.go.kr",
        ),
        (
            "admin:exchange_order_changelist",
            lambda: Market.objects.create(
                symbol="NEW-KRW",
                base=Market.objects.first().base,
                quote=Market.objects.first().quote,
                tick_size=1,
                lot_size=1,
                min_notional=1,
            ),
            "NEW-KRW",
        ),
        (
            "admin:education_enrollment_changelist",
            lambda: University.objects.create(slug="new-u", name="A New University"),
            "A New University",
        ),
    ],
)
def test_a_new_filter_choice_shows_on_the_next_page(
    client, seeded_city, url_name, make_choice, label
):
    # Given a superuser who has seen the list once (its choices remembered), in English
    client.force_login(StaffFactory(is_superuser=True, preferred_language="en"))
    first = client.get(reverse(url_name))
    assert label not in first.text
    with CaptureQueriesContext(connection) as remembered:
        client.get(reverse(url_name))

    # When a new choice is written
    make_choice()

    # Then the next page offers it (read from the database once more)
    with CaptureQueriesContext(connection) as after:
        response = client.get(reverse(url_name))
    assert label in response.text
    assert len(after.captured_queries) > len(remembered.captured_queries)


def test_a_sign_in_keeps_the_remembered_staff_choices(client, seeded_city):
    # Given the safety queue's choices remembered
    superuser, other = StaffFactory(is_superuser=True), StaffFactory()
    client.force_login(superuser)
    client.get(reverse("admin:safety_report_changelist"))

    # When a staff member signs in (a save of last_login only)
    client.force_login(other)
    client.force_login(superuser)

    # Then the next page reads no staff choices again
    with CaptureQueriesContext(connection) as after:
        client.get(reverse("admin:safety_report_changelist"))
    staff_read = 'FROM "accounts_user" WHERE "accounts_user"."is_staff"'
    assert not [q for q in after.captured_queries if staff_read in q["sql"]]


@pytest.mark.parametrize(
    ("change", "renewed"),
    [
        (lambda user: user.save(update_fields=["last_login"]), False),
        (lambda user: user.save(update_fields=["name"]), False),
        (
            lambda user: setattr(user, "is_staff", True) or user.save(update_fields=["is_staff"]),
            True,
        ),
        (lambda user: user.save(), True),
    ],
)
def test_only_a_users_save_that_may_change_the_staff_renews_the_assignee_choices(
    seeded_city, change, renewed
):
    # Given a citizen, and the users' choices generation as it is
    from busanhub.accounts.tests.factories import UserFactory
    from busanhub.admin_choices import _generations

    citizen = UserFactory()
    generation = _generations["accounts.user"]
    before = generation.current()

    # When the citizen's row is saved
    change(citizen)

    # Then only a save that may make or unmake a staff member starts a new generation
    assert (generation.current() != before) is renewed


def test_the_estimate_is_the_planners_row_count_after_analyze(seeded_city):
    # Given the payments table analysed
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE vouchers_payment")

    # When its size is estimated, then it is the planner's, here exact
    assert admin_big_lists.table_rows_estimate(Payment.objects.all()) == Payment.objects.count()


@pytest.mark.parametrize(
    ("language", "note"),
    [
        ("en", "About 2,000,000 rows: an estimate of the table's size, not a count."),
        ("ko", "약 2,000,000건: 표 전체를 세지 않고 추정한 크기입니다."),
    ],
)
def test_a_whole_large_table_is_numbered_from_the_estimate_and_says_so(
    client, seeded_city, monkeypatch, language, note
):
    # Given a payments table the planner puts at two million rows
    monkeypatch.setattr(admin_big_lists, "table_rows_estimate", lambda queryset: 2_000_000)
    client.force_login(StaffFactory(roles=["staff-vouchers"], preferred_language=language))

    # When the whole list opens
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:vouchers_payment_changelist"))

    # Then nothing counts the table, the pages are numbered from the estimate, and it says so
    assert not [q for q in queries.captured_queries if "COUNT(" in q["sql"]]
    changelist = response.context_data["cl"]
    assert changelist.result_count == 2_000_000
    assert changelist.result_count_is_estimate
    assert changelist.paginator.num_pages == 2_000_000 // changelist.list_per_page
    assert note in response.text


@pytest.mark.parametrize(
    ("estimate", "query"),
    [
        (2_000_000, {"q": "big"}),  # a search: counted
        (2_000_000, {"merchant__tier": "small"}),  # a filter: counted
        (admin_big_lists.ESTIMATE_FROM - 1, {}),  # a small table: counted
        (-1, {}),  # never analysed: counted
    ],
)
def test_a_filtered_list_or_a_small_table_is_counted_exactly(
    client, seeded_city, monkeypatch, estimate, query
):
    # Given the planner's estimate of the payments table
    monkeypatch.setattr(admin_big_lists, "table_rows_estimate", lambda queryset: estimate)
    client.force_login(StaffFactory(roles=["staff-vouchers"], preferred_language="en"))

    # When the list opens
    response = client.get(reverse("admin:vouchers_payment_changelist"), query)

    # Then its count is the exact one, and the page claims no estimate
    changelist = response.context_data["cl"]
    assert changelist.result_count == changelist.queryset.count()
    assert not changelist.result_count_is_estimate
    assert "an estimate of the table's size" not in response.text
