"""Photo uploads through the service and the report form: the pixel budget, bombs, damaged
files and the per-process bound on decodes (issue 14, item 7)."""

import io
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from busanhub.chain.models import AnchorLeaf
from safety import photos, services
from safety.models import Follower, Report, ReportPhoto, ReportUpdate
from safety.tests.factories import (
    CITY_HALL,
    CategoryFactory,
    UserFactory,
    flat_png,
    jpeg_with_gps,
    make_report,
    noisy_jpeg,
    png_bomb,
)

pytestmark = pytest.mark.django_db


def _stored() -> tuple[int, int, int, int, int]:
    return (
        Report.objects.count(),
        ReportPhoto.objects.count(),
        ReportUpdate.objects.count(),
        Follower.objects.count(),
        AnchorLeaf.objects.filter(kind="safety.report").count(),
    )


@pytest.fixture(autouse=True)
def _english():
    # Service messages are asserted in English; the form tests sign in a Korean citizen.
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def decodes(monkeypatch):
    """Counts photo_decode calls (the real decode still runs)."""
    calls = []
    decode = photos.photo_decode

    def counted(header):
        calls.append(header.format)
        return decode(header)

    monkeypatch.setattr(photos, "photo_decode", counted)
    return calls


def test_one_photo_over_the_budget_refuses_the_report_before_any_decode(decodes):
    # Given a citizen's report with a good JPEG and the 6300 x 6300 PNG
    citizen = UserFactory()
    uploads = [jpeg_with_gps(), flat_png(6300, 6300)]

    # When they file it
    with pytest.raises(ValidationError) as error:
        make_report(reporter=citizen, photo_uploads=uploads)

    # Then the photos field names the second photo and the budget, with the reason's code
    assert error.value.message_dict == {
        "photos": ["Photo 2: The photo has more pixels than the 16 megapixel limit."]
    }
    assert error.value.error_dict["photos"][0].code == "too_many_pixels"
    # And no photo was decoded, not even the good one, and nothing is stored
    assert decodes == []
    assert _stored() == (0, 0, 0, 0, 0)


def test_budget_follows_the_setting(settings):
    settings.SAFETY_PHOTO_MAX_PIXELS = 1_000
    with pytest.raises(ValidationError) as error:
        make_report(photo_uploads=[jpeg_with_gps(64, 48)])
    assert error.value.message_dict == {
        "photos": ["Photo 1: The photo has more pixels than the 0.001 megapixel limit."]
    }
    assert _stored() == (0, 0, 0, 0, 0)


def test_photo_within_the_budget_is_stored():
    # 3999 x 4001 = 16,000,000 - 1 pixels
    report = make_report(photo_uploads=[flat_png(3999, 4001)])
    stored = report.photos.get()
    assert (stored.width, stored.height) == (1599, 1600)
    assert stored.original_bytes() == flat_png(3999, 4001)


def test_bomb_and_damaged_photo_are_refused_and_nothing_is_stored():
    for data, code in ((png_bomb(), "too_many_pixels"), (noisy_jpeg(640, 480)[:4000], "damaged")):
        with pytest.raises(ValidationError) as error:
            make_report(photo_uploads=[jpeg_with_gps(), data])
        assert error.value.error_dict["photos"][0].code == code
        assert _stored() == (0, 0, 0, 0, 0)


def test_report_form_refuses_an_oversized_png_with_400_in_korean(client):
    # Given a signed-in citizen (Korean) on the report form
    citizen = UserFactory()
    client.force_login(citizen)
    category = CategoryFactory()

    # When they send a good photo and a 6300 x 6300 PNG
    response = client.post(
        reverse("safety:report-new"),
        {
            "service_code": category.service_code,
            "lat": str(CITY_HALL[0]),
            "long": str(CITY_HALL[1]),
            "description": "보도블록이 깨졌어요",
            "photos": [
                SimpleUploadedFile("a.jpg", jpeg_with_gps(), content_type="image/jpeg"),
                SimpleUploadedFile("b.png", flat_png(6300, 6300), content_type="image/png"),
            ],
        },
    )

    # Then the form says which photo and why, and nothing is stored
    assert response.status_code == 400
    assert "사진 2: 사진의 화소 수가 16메가픽셀 제한을 넘습니다." in response.content.decode()
    assert _stored() == (0, 0, 0, 0, 0)


def test_report_form_answers_503_when_no_decode_slot_comes_free(client, settings):
    # Given one decode slot per process, held by another request, and a short wait
    settings.SAFETY_PHOTO_DECODES = 1
    settings.SAFETY_PHOTO_DECODE_WAIT_S = 0.05
    citizen = UserFactory()
    client.force_login(citizen)
    category = CategoryFactory()
    form = {
        "service_code": category.service_code,
        "lat": str(CITY_HALL[0]),
        "long": str(CITY_HALL[1]),
        "description": "보도블록이 깨졌어요",
    }

    # When a citizen sends a good photo meanwhile
    with photos.decode_slots(1).hold(timeout=1):
        response = client.post(
            reverse("safety:report-new"),
            {**form, "photos": [SimpleUploadedFile("a.jpg", jpeg_with_gps())]},
        )

    # Then they are told to send again (503, Retry-After) and nothing is stored
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "서버가 다른 사진을 처리하느라 바쁩니다." in response.content.decode()
    assert _stored() == (0, 0, 0, 0, 0)
    # And once the slot is free the same report goes through
    response = client.post(
        reverse("safety:report-new"),
        {**form, "photos": [SimpleUploadedFile("a.jpg", jpeg_with_gps())]},
    )
    assert response.status_code == 302
    assert _stored()[:2] == (1, 1)


def test_concurrent_decodes_are_bounded_by_the_setting(settings, monkeypatch):
    # Given two decode slots per process and a decode slow enough for requests to overlap
    settings.SAFETY_PHOTO_DECODES = 2
    settings.SAFETY_PHOTO_DECODE_WAIT_S = 5
    lock = threading.Lock()
    running, peak = [0], [0]
    decode = photos.photo_decode

    def slow_decode(header):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        try:
            return decode(header)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(photos, "photo_decode", slow_decode)
    uploads = [jpeg_with_gps(), jpeg_with_gps(32, 32)]
    results, errors = [], []

    def request():
        try:
            results.append(services.photos_check(uploads))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    # When six requests check their photos at once, from real threads
    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Then all twelve photos were decoded, never more than two at a time
    assert errors == []
    assert [len(result) for result in results] == [2] * 6
    assert peak[0] == 2


def test_a_phone_photo_is_stored_with_a_dct_scaled_public_copy_without_its_location():
    # Given a 2048 x 1536 JPEG whose EXIF holds where it was taken
    original = jpeg_with_gps(2048, 1536)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)

    # When a citizen files it
    stored = make_report(photo_uploads=[original]).photos.get()

    # Then the public copy is the decoder's half scale, with no EXIF at all; the original
    # (staff only) is kept byte for byte
    public = Image.open(io.BytesIO(stored.public_bytes()))
    assert (stored.width, stored.height) == public.size == (1024, 768)
    assert dict(public.getexif()) == {} and "exif" not in public.info
    assert b"Exif\x00\x00" not in stored.public_bytes()
    assert stored.original_bytes() == original
