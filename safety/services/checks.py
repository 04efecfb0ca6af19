"""What a new report must pass before anything is stored: a place inside Busan, the category's
answers, and photos within the pixel budget, decoded in the process's decode slots."""

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safety import attributes, geo, photos, selectors
from safety.models import Category


def location_check(*, lat, long) -> tuple[float, float]:
    """Parses coordinates and refuses those outside Busan's boundary (ValidationError)."""
    try:
        lat_value, long_value = float(lat), float(long)
    except (TypeError, ValueError):
        raise ValidationError(
            {"lat": _("Latitude and longitude must be numbers.")}, code="invalid"
        ) from None
    if not geo.is_in_busan(lat=lat_value, long=long_value):
        raise ValidationError(
            {"lat": _("This location is outside Busan. Only places in Busan can be reported.")},
            code="outside",
        )
    return lat_value, long_value


def photo_policy() -> tuple[int, int, float]:
    """(pixel budget per photo, decodes at once per process, seconds to wait for a decode
    slot), read when used."""
    return (
        int(getattr(settings, "SAFETY_PHOTO_MAX_PIXELS", photos.MAX_PIXELS)),
        int(getattr(settings, "SAFETY_PHOTO_DECODES", 2)),
        float(getattr(settings, "SAFETY_PHOTO_DECODE_WAIT_S", 10)),
    )


def _photo_error(index: int, error: photos.PhotoError) -> ValidationError:
    problem = gettext(error.message)
    if error.params:
        problem = problem % error.params
    message = gettext("Photo %(number)s: %(problem)s") % {"number": index, "problem": problem}
    return ValidationError({"photos": ValidationError(message, code=error.code)})


def photos_check(uploads: Sequence[bytes]) -> list[photos.ProcessedPhoto]:
    """Checks every photo's header, then decodes them one by one, each in one of the process's
    decode slots (`photo_policy`).

    Every header is read before any pixel is decoded, so a report with one photo over the pixel
    budget, not an image or damaged is refused (ValidationError on `photos`, code of the first
    bad photo) without decoding the others. Raises photos.DecodeSlotsBusy when no slot came
    free within the wait (the door answers 503). Opens no transaction and writes nothing.
    """
    if len(uploads) > photos.MAX_PHOTOS:
        raise ValidationError({"photos": _("At most 5 photos per report.")})
    max_pixels, decodes, wait_s = photo_policy()
    headers = []
    for index, data in enumerate(uploads, start=1):
        try:
            headers.append(photos.photo_check(data, max_pixels=max_pixels))
        except photos.PhotoError as exc:
            raise _photo_error(index, exc) from None
    slots = photos.decode_slots(decodes)
    processed = []
    for index, header in enumerate(headers, start=1):
        try:
            with slots.hold(timeout=wait_s):
                processed.append(photos.photo_decode(header))
        except photos.PhotoError as exc:
            raise _photo_error(index, exc) from None
    return processed


def answers_check(*, category: Category, raw: dict[str, list[str]]) -> dict:
    """The category's answers, normalised; ValidationError keyed `attribute[code]` otherwise."""
    try:
        return attributes.clean_answers(selectors.category_definitions(category=category), raw)
    except attributes.AnswerErrors as exc:
        raise ValidationError(
            {f"attribute[{code}]": gettext(message) for code, message in exc.errors.items()}
        ) from None
