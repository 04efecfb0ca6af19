import hashlib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from busanhub.chain import services as chain_services
from busanhub.chain import testing as chain_testing
from busanhub.chain.models import AnchorLeaf
from safety import selectors, services
from safety.models import ApiKey, Follower, Report, ReportPhoto, ReportUpdate
from safety.tasks import report_update_notify
from safety.tests.factories import (
    CITY_HALL,
    GIMHAE,
    CategoryFactory,
    StaffFactory,
    UserFactory,
    add_attribute,
    jpeg_with_gps,
    make_report,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # Messages are asserted in English; the Korean test overrides this.
    from django.utils import translation

    with translation.override("en"):
        yield


def _nothing_stored():
    return (
        Report.objects.count(),
        ReportPhoto.objects.count(),
        ReportUpdate.objects.count(),
        AnchorLeaf.objects.filter(kind="safety.report").count(),
    ) == (0, 0, 0, 0)


def test_report_create_stores_photos_and_anchors_version_one_without_personal_data():
    # Given a citizen with a photo taken at City Hall
    citizen = UserFactory(name="김하은")
    photo = jpeg_with_gps()

    # When they file a report
    report = make_report(reporter=citizen, photo_uploads=[photo], address="중앙대로 1001")

    # Then the report, its photo and its first timeline entry exist
    assert report.status == Report.Status.SUBMITTED
    assert report.district == "yeonje"
    assert report.version == 1
    assert report.due_at == report.created_at + timedelta(hours=72)
    stored = report.photos.get()
    assert stored.original_bytes() == photo
    assert b"BusanCam" not in stored.public_bytes()
    # And version 1 is anchored with the photo's hash and no personal data
    leaf = AnchorLeaf.objects.get(kind="safety.report", ref=str(report.public_id), version=1)
    assert leaf.digest == report.digest == report.updates.get().digest
    assert leaf.is_public is True
    data = leaf.envelope["data"]
    assert data["photos_sha256"] == [hashlib.sha256(photo).hexdigest()]
    assert data["status"] == "submitted"
    assert data["description_sha256"] == hashlib.sha256("가로등이 꺼져 있어요".encode()).hexdigest()
    text = str(leaf.envelope)
    for personal in (citizen.email, "김하은", "가로등이 꺼져 있어요", "중앙대로"):
        assert personal not in text
    # And the reporter follows their own report
    assert list(report.followers.values_list("user", flat=True)) == [citizen.pk]


def test_report_outside_busan_is_refused_and_nothing_is_stored():
    category = CategoryFactory()
    with pytest.raises(ValidationError) as error:
        make_report(category=category, lat=GIMHAE[0], long=GIMHAE[1])
    assert error.value.message_dict == {
        "lat": ["This location is outside Busan. Only places in Busan can be reported."]
    }
    assert _nothing_stored()


@pytest.mark.parametrize(("lat", "long"), [("abc", "129.07"), (None, 129.0), ("nan", "inf")])
def test_coordinates_that_are_not_numbers_are_refused(lat, long):
    with pytest.raises(ValidationError) as error:
        make_report(lat=lat, long=long)
    assert list(error.value.message_dict) == ["lat"]
    assert _nothing_stored()


def test_missing_required_answer_and_bad_datetime_are_refused():
    category = CategoryFactory()
    add_attribute(category, code="pole", datatype="string", required=True)
    add_attribute(category, code="seen", datatype="datetime")
    with pytest.raises(ValidationError) as error:
        make_report(category=category, answers={"seen": ["yesterday-ish"]})
    assert error.value.message_dict == {
        "attribute[pole]": ["This answer is required."],
        "attribute[seen]": ["Enter a date and time in ISO 8601 form, e.g. 2026-11-23T10:00."],
    }
    assert _nothing_stored()


def test_answers_are_stored_normalised():
    category = CategoryFactory()
    add_attribute(
        category, code="kind", datatype="multivaluelist", values=[("off", "꺼짐"), ("fl", "깜빡")]
    )
    report = make_report(category=category, answers={"kind": ["fl", "off"]})
    assert report.answers == {"kind": ["fl", "off"]}


def test_non_image_renamed_jpg_is_refused_in_korean_and_nothing_is_stored(settings):
    from django.utils import translation

    with translation.override("ko"), pytest.raises(ValidationError) as error:
        make_report(photo_uploads=[jpeg_with_gps(), b"MZ\x90\x00 an executable renamed .jpg"])
    message = error.value.message_dict["photos"][0]
    assert message.startswith("사진 2:")
    assert _nothing_stored()


def test_six_photos_are_refused():
    with pytest.raises(ValidationError) as error:
        make_report(photo_uploads=[jpeg_with_gps()] * 6)
    assert error.value.message_dict == {"photos": ["At most 5 photos per report."]}
    assert _nothing_stored()


def test_inactive_category_is_refused():
    category = CategoryFactory(is_active=False)
    with pytest.raises(ValidationError) as error:
        make_report(category=category)
    assert list(error.value.message_dict) == ["service_code"]
    assert _nothing_stored()


def test_transitions_anchor_a_new_version_each_and_close_the_report():
    # Given a submitted report and a staff member
    report = make_report()
    staff = StaffFactory()

    # When staff acknowledge, start and resolve it
    services.report_transition(
        report=report,
        to_status="acknowledged",
        actor=staff,
        public_note="확인했습니다",
        internal_note="crew 3",
    )
    services.report_transition(report=report, to_status="in_progress", actor=staff)
    update = services.report_transition(
        report=report, to_status="resolved", actor=staff, public_note="교체 완료"
    )

    # Then there are four anchored versions and the report is closed
    report.refresh_from_db()
    assert report.status == "resolved"
    assert report.version == 4
    assert report.closed_at == update.created_at
    assert report.status_notes == "교체 완료"
    assert list(report.updates.values_list("version", "to_status")) == [
        (1, "submitted"),
        (2, "acknowledged"),
        (3, "in_progress"),
        (4, "resolved"),
    ]
    leaves = AnchorLeaf.objects.filter(kind="safety.report", ref=str(report.public_id))
    assert sorted(leaves.values_list("version", flat=True)) == [1, 2, 3, 4]
    second = leaves.get(version=2).envelope["data"]
    assert second["public_note"] == "확인했습니다"
    assert "crew 3" not in str(second)
    assert second["internal_note_sha256"] == hashlib.sha256(b"crew 3").hexdigest()


@pytest.mark.parametrize(
    ("start", "target"), [("resolved", "in_progress"), ("submitted", "resolved")]
)
def test_disallowed_transition_changes_nothing(start, target):
    report = make_report()
    staff = StaffFactory()
    if start == "resolved":
        services.report_transition(report=report, to_status="acknowledged", actor=staff)
        services.report_transition(report=report, to_status="resolved", actor=staff)
    report.refresh_from_db()
    before = (
        report.status,
        report.version,
        ReportUpdate.objects.count(),
        AnchorLeaf.objects.count(),
    )
    with pytest.raises(ValidationError) as error:
        services.report_transition(report=report, to_status=target, actor=staff)
    assert list(error.value.message_dict) == ["to_status"]
    report.refresh_from_db()
    after = (
        report.status,
        report.version,
        ReportUpdate.objects.count(),
        AnchorLeaf.objects.count(),
    )
    assert after == before


def test_citizen_cannot_transition():
    report = make_report()
    with pytest.raises(ValidationError):
        services.report_transition(report=report, to_status="acknowledged", actor=UserFactory())
    report.refresh_from_db()
    assert (report.status, report.version) == ("submitted", 1)


def test_duplicate_points_to_the_original_and_moves_its_weight():
    staff = StaffFactory()
    original = make_report()
    copy = make_report(category=original.category)
    services.report_transition(
        report=copy, to_status="duplicate", actor=staff, duplicate_of=original
    )
    original.refresh_from_db()
    copy.refresh_from_db()
    assert copy.duplicate_of == original
    assert original.weight == 2
    assert copy.updates.last().to_status == "duplicate"


def test_duplicate_without_original_is_refused():
    report = make_report()
    with pytest.raises(ValidationError) as error:
        services.report_transition(report=report, to_status="duplicate", actor=StaffFactory())
    assert list(error.value.message_dict) == ["duplicate_of"]
    report.refresh_from_db()
    assert report.status == "submitted"


def test_me_too_follows_once_and_adds_weight():
    report = make_report(reporter=UserFactory())
    neighbour = UserFactory()
    assert services.report_follow(report=report, user=neighbour) is True
    assert services.report_follow(report=report, user=neighbour) is False
    report.refresh_from_db()
    assert report.weight == 2
    assert Follower.objects.filter(report=report).count() == 2


def test_transition_emails_reporter_and_followers_in_their_language(
    eager_celery, django_capture_on_commit_callbacks
):
    # Given a Korean reporter and an English follower
    reporter = UserFactory(preferred_language="ko")
    follower = UserFactory(preferred_language="en")
    report = make_report(reporter=reporter)
    services.report_follow(report=report, user=follower)

    # When staff acknowledge it
    with django_capture_on_commit_callbacks(execute=True):
        update = services.report_transition(
            report=report, to_status="acknowledged", actor=StaffFactory(), public_note="곧 점검"
        )

    # Then each gets one email in their language, with the public note and link only
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {reporter.email, follower.email}
    assert (
        by_recipient[reporter.email].subject
        == "신고(가로등 고장)가 다음 상태가 되었습니다: 접수 확인"
    )
    assert by_recipient[follower.email].subject == (
        "Your report (Broken streetlight) is now: Acknowledged"
    )
    assert "곧 점검" in by_recipient[follower.email].body
    assert str(report.public_id) in by_recipient[reporter.email].body
    # And running the task again sends nothing more
    assert report_update_notify(update.pk) == 0
    assert len(mail.outbox) == 2


def test_nearby_selector_finds_open_same_category_reports_within_50m_and_7_days():
    category = CategoryFactory()
    near = make_report(category=category, lat=CITY_HALL[0] + 0.0003, long=CITY_HALL[1])  # 33 m
    make_report(category=category, lat=CITY_HALL[0] + 0.0006, long=CITY_HALL[1])  # 67 m
    make_report(lat=CITY_HALL[0], long=CITY_HALL[1])  # other category
    old = make_report(category=category)
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
    closed = make_report(category=category)
    staff = StaffFactory()
    services.report_transition(report=closed, to_status="rejected", actor=staff)

    found = selectors.reports_near(lat=CITY_HALL[0], long=CITY_HALL[1], category=category)

    assert [report.pk for report in found] == [near.pk]
    assert round(found[0].distance_m) == 33


def test_api_key_is_stored_hashed_and_shown_once():
    key, raw = services.api_key_create(name="Busan Taxi App")
    assert raw.startswith("o311_")
    stored = ApiKey.objects.get()
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in (stored.key_hash, stored.prefix)
    assert stored.prefix == raw[:8]


def test_dashboard_counts_open_overdue_and_median_time_to_resolve():
    staff = StaffFactory()
    first, second, third = make_report(), make_report(), make_report()
    Report.objects.filter(pk=third.pk).update(due_at=timezone.now() - timedelta(hours=1))
    for report, hours in ((first, 2), (second, 4)):
        services.report_transition(report=report, to_status="acknowledged", actor=staff)
        services.report_transition(report=report, to_status="resolved", actor=staff)
        Report.objects.filter(pk=report.pk).update(
            closed_at=report.created_at + timedelta(hours=hours)
        )

    dashboard = selectors.triage_dashboard()

    assert dashboard["open_count"] == 1
    assert dashboard["overdue_count"] == 1
    assert dashboard["median_hours_to_resolve"] == 3.0
    assert dashboard["open_by_district"] == [{"district": "yeonje", "count": 1}]


def test_anchored_versions_are_confirmed_on_chain(chain):
    report = make_report()
    services.report_transition(report=report, to_status="acknowledged", actor=StaffFactory())
    chain_testing.anchor_pending()
    report.refresh_from_db()
    receipt = chain_services.receipt_for(report.digest)
    assert receipt["record"] == {
        "kind": "safety.report",
        "ref": str(report.public_id),
        "version": 2,
    }
    assert receipt["envelope"]["data"]["status"] == "acknowledged"


def test_me_too_on_a_closed_report_is_refused():
    report = make_report()
    services.report_transition(report=report, to_status="rejected", actor=StaffFactory())
    with pytest.raises(ValidationError) as error:
        services.report_follow(report=report, user=UserFactory())
    assert error.value.message_dict == {"report": ["This report is closed."]}
    report.refresh_from_db()
    assert (report.weight, report.followers.count()) == (1, 0)


def test_description_over_4000_characters_is_refused():
    with pytest.raises(ValidationError) as error:
        make_report(description="가" * 4001)
    assert error.value.message_dict == {"description": ["Write at most 4000 characters."]}
    assert _nothing_stored()
