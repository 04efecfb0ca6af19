"""The cached service catalogue (`safety.catalogue`) and the statements a filing costs."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from busanhub.chain.models import AnchorLeaf
from safety import catalogue
from safety.models import Category, Report
from safety.tests.factories import (
    CITY_HALL,
    CategoryFactory,
    UserFactory,
    add_attribute,
    jpeg_with_gps,
    make_report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(client):
    user = UserFactory()
    client.force_login(user)
    return user


def _form(category, **extra):
    return {
        "service_code": category.service_code,
        "lat": str(CITY_HALL[0]),
        "long": str(CITY_HALL[1]),
        "description": "보도블록이 깨졌어요",
        **extra,
    }


def test_the_catalogue_is_read_once_while_unchanged(django_assert_num_queries):
    # Given a category with a question, read once
    category = CategoryFactory(service_code="POTHOLE")
    add_attribute(category, code="SIZE", datatype="singlevaluelist", values=[("S", "small")])
    catalogue.categories_active_cached()

    # When it is read again, then no query is made and the questions come with it
    with django_assert_num_queries(0):
        (cached,) = catalogue.categories_active_cached()
        questions = list(cached.attributes.all())
        values = [value.key for value in questions[0].values.all()]
        department = cached.department.code
    codes = [question.code for question in questions]
    assert (cached.service_code, codes, values) == ("POTHOLE", ["SIZE"], ["S"])
    assert department == category.department.code


def test_every_catalogue_change_is_seen_by_the_next_read(django_assert_num_queries):
    # Given a cached catalogue of one category
    category = CategoryFactory(service_code="POTHOLE", name_en="Pothole")
    catalogue.categories_active_cached()

    # When a question is added, a list value added, the name and the department changed
    attribute = add_attribute(category, code="SIZE", datatype="singlevaluelist")
    attribute.values.create(key="L", name_ko="큼", name_en="large")
    category.name_en = "Road damage"
    category.save()
    category.department.name_en = "Roads"
    category.department.save()

    # Then the next read has them all (and reads the database: 3 queries)
    with django_assert_num_queries(3):
        (cached,) = catalogue.categories_active_cached()
    assert cached.name_en == "Road damage"
    assert cached.department.name_en == "Roads"
    assert [value.key for value in cached.attributes.get().values.all()] == ["L"]

    # And when the category is deactivated, it leaves the catalogue
    category.is_active = False
    category.save()
    assert catalogue.categories_active_cached() == []
    assert catalogue.category_active_cached("POTHOLE") is None

    # And a deleted question leaves it too
    category.is_active = True
    category.save()
    attribute.delete()
    assert list(catalogue.category_active_cached("POTHOLE").attributes.all()) == []


def test_an_entry_read_before_the_commit_is_not_kept(django_capture_on_commit_callbacks):
    # Given a cached catalogue
    category = CategoryFactory(service_code="POTHOLE", name_en="Pothole")
    catalogue.categories_active_cached()

    with django_capture_on_commit_callbacks(execute=True):
        # When staff rename the category (the version is renewed at once)
        category.name_en = "Road damage"
        category.save()
        # and a concurrent request, which still sees the committed rows, caches them under the
        # renewed version before the commit
        stale = Category.objects.filter(pk=category.pk).select_related("department").get()
        stale.name_en = "Pothole"
        version = cache.get(catalogue.CATALOGUE_VERSION_KEY)
        cache.set(f"safety:catalogue:{version}", [stale])
        assert catalogue.categories_active_cached()[0].name_en == "Pothole"

    # Then once the transaction commits, the version is renewed again: the stale entry is gone
    assert cache.get(catalogue.CATALOGUE_VERSION_KEY) != version
    assert catalogue.categories_active_cached()[0].name_en == "Road damage"


def test_the_report_form_follows_the_catalogue(client, citizen):
    # Given a category whose form was shown (and the catalogue cached)
    category = CategoryFactory(service_code="POTHOLE", name_ko="도로 파손")
    url = reverse("safety:report-new")
    assert "attribute[SIZE]" not in client.get(url, {"category": "POTHOLE"}).content.decode()

    # When staff add a required question
    add_attribute(category, code="SIZE", datatype="number", required=True)

    # Then the form asks it, and a filing without its answer is refused naming it
    assert "attribute[SIZE]" in client.get(url, {"category": "POTHOLE"}).content.decode()
    response = client.post(url, _form(category))
    assert response.status_code == 400
    assert "attribute[SIZE]" in response.context["form"].errors
    assert Report.objects.count() == 0

    # And when staff close the category, the form is no longer offered and nothing is filed
    category.is_active = False
    category.save()
    response = client.post(url, _form(category, **{"attribute[SIZE]": "2"}))
    assert response.status_code == 200
    assert "safety/report_category.html" in [t.name for t in response.templates]
    assert Report.objects.count() == 0


def test_filing_a_report_with_a_photo_takes_three_statements(django_assert_num_queries):
    # Given a category from the cached catalogue and a citizen, and a first filing on this
    # connection (which prepares the rows' statement, once per connection)
    CategoryFactory(service_code="POTHOLE")
    category = catalogue.category_active_cached("POTHOLE")
    citizen = UserFactory()
    make_report(category=category, reporter=citizen)

    # When they file a report with a photo: the anchor leaf, the report, the timeline entry and
    # the follower in one statement, the photos (one COPY), the map cells, and inside the
    # test's transaction a savepoint and its release
    with django_assert_num_queries(5):
        report = make_report(category=category, reporter=citizen, photo_uploads=[jpeg_with_gps()])

    # Then everything was stored
    assert report.photos.count() == 1
    assert report.updates.get().digest == report.digest
    assert AnchorLeaf.objects.get(ref=str(report.public_id)).digest == report.digest
    assert list(report.followers.values_list("user", flat=True)) == [citizen.pk]
