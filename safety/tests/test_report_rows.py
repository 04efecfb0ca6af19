"""A new report's rows in one statement (`safety.services.report_rows`): every column as the
ORM's INSERTs wrote it, the follower only with a reporter, and nothing stored on a clash."""

import pytest
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from busanhub.chain.models import AnchorLeaf
from safety import services
from safety.models import Follower, Report, ReportUpdate
from safety.services.anchoring import report_anchor_columns_new
from safety.services.report_rows import report_rows_insert
from safety.tests.factories import (
    CITY_HALL,
    CategoryFactory,
    UserFactory,
    add_attribute,
    jpeg_with_gps,
    make_report,
)

pytestmark = pytest.mark.django_db


def _counts():
    return (
        Report.objects.count(),
        ReportUpdate.objects.count(),
        Follower.objects.count(),
        AnchorLeaf.objects.filter(kind="safety.report").count(),
    )


def _unsaved(category, **fields):
    now = timezone.now()
    report = Report(
        category=category,
        lat=CITY_HALL[0],
        long=CITY_HALL[1],
        district="yeonje",
        description="bench",
        created_at=now,
        updated_at=now,
        due_at=now,
        **fields,
    )
    update = ReportUpdate(report=report, version=1, to_status="submitted", created_at=now)
    leaf = report_anchor_columns_new(report=report, update=update, photo_hashes=[])
    return report, update, leaf


def test_every_column_is_stored_as_the_report_holds_it():
    # Given a category with a question and a citizen
    category = CategoryFactory()
    add_attribute(category, code="SIZE", datatype="number", required=True)
    citizen = UserFactory()

    # When they file a report with an answer, an address and a photo
    report = make_report(
        category=category,
        reporter=citizen,
        answers={"SIZE": ["2.5"]},
        address="중앙대로 1001",
        photo_uploads=[jpeg_with_gps()],
    )

    # Then every column of the stored report is the returned report's value
    stored = Report.objects.get(pk=report.pk)
    for field in Report._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(report, field.attname), field.name
    assert stored.answers == {"SIZE": 2.5}
    assert (stored.reporter_id, stored.status, stored.version) == (citizen.pk, "submitted", 1)
    # And its timeline entry is version 1, with the leaf's digest and the report's time
    update = ReportUpdate.objects.get(report=report)
    assert (update.version, update.from_status, update.to_status) == (1, "", "submitted")
    assert (update.public_note, update.internal_note, update.actor_id) == ("", "", None)
    assert (update.reward, update.notified_at) == (0, None)
    assert update.created_at == report.created_at
    assert update.digest == report.digest
    # And the leaf is public, pending, and holds the envelope of version 1
    leaf = AnchorLeaf.objects.get(kind="safety.report", ref=str(report.public_id))
    assert (leaf.version, leaf.digest, leaf.is_public, leaf.batch_id) == (
        1,
        report.digest,
        True,
        None,
    )
    assert leaf.envelope["data"]["photos_sha256"] == [report.photos.get().sha256]
    # And the reporter follows it
    follower = Follower.objects.get(report=report)
    assert follower.user_id == citizen.pk
    assert follower.created_at >= report.created_at


def test_a_report_without_a_reporter_has_no_follower():
    # Given a partner's API key
    key, _raw = services.api_key_create(name="Partner")

    # When a report is filed through it, with no reporter
    report = make_report(api_key=key, contact_email="a@example.kr")

    # Then it is stored with its entry and leaf, and nobody follows it
    stored = Report.objects.get(pk=report.pk)
    assert (stored.reporter_id, stored.api_key_id, stored.contact_email) == (
        None,
        key.pk,
        "a@example.kr",
    )
    assert ReportUpdate.objects.filter(report=report).count() == 1
    assert AnchorLeaf.objects.filter(ref=str(report.public_id)).count() == 1
    assert Follower.objects.count() == 0


def test_a_clashing_public_id_stores_nothing_of_the_statement():
    # Given a filed report
    category = CategoryFactory()
    citizen = UserFactory()
    first = make_report(category=category, reporter=citizen)
    before = _counts()

    # When another report with the same public id is inserted
    report, update, leaf = _unsaved(category, reporter=citizen, public_id=first.public_id)
    with pytest.raises(IntegrityError), transaction.atomic():
        report_rows_insert(report=report, update=update, leaf=leaf, followed_at=timezone.now())

    # Then it is refused and neither its leaf, entry nor follower is stored
    assert _counts() == before
    assert not AnchorLeaf.objects.filter(digest=leaf["digest"]).exists()


def test_an_over_long_text_is_refused_not_cut():
    # Given a report whose district is longer than its column (full_clean would refuse it)
    category = CategoryFactory()
    report, update, leaf = _unsaved(category)
    report.district = "x" * 21

    # When its rows are inserted, the database refuses the value instead of cutting it
    with pytest.raises(DataError), transaction.atomic():
        report_rows_insert(report=report, update=update, leaf=leaf, followed_at=timezone.now())

    # Then nothing is stored
    assert _counts() == (0, 0, 0, 0)
