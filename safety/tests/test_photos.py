import hashlib
import io

import pytest
from PIL import Image

from safety import photos
from safety.tests.factories import jpeg_with_gps, png_bytes


def test_jpeg_with_gps_is_reencoded_without_any_exif():
    # Given a JPEG whose EXIF holds a GPS position
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)

    # When it is processed
    result = photos.process_photo(original)

    # Then the original is kept byte for byte with its SHA-256, and the public copy has no EXIF
    assert result.original == original
    assert result.sha256 == hashlib.sha256(original).hexdigest()
    public = Image.open(io.BytesIO(result.public))
    assert public.format == "JPEG"
    assert dict(public.getexif()) == {}
    assert "exif" not in public.info
    assert b"BusanCam" not in result.public
    assert (result.width, result.height) == (64, 48)
    assert result.original_content_type == "image/jpeg"


def test_png_and_webp_are_accepted():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10), "green").save(buffer, format="WEBP")
    assert photos.process_photo(png_bytes()).original_content_type == "image/png"
    assert photos.process_photo(buffer.getvalue()).original_content_type == "image/webp"


def test_large_photo_is_downscaled_for_the_public():
    buffer = io.BytesIO()
    Image.new("RGB", (3200, 1600), "blue").save(buffer, format="JPEG")
    result = photos.process_photo(buffer.getvalue())
    assert (result.width, result.height) == (1600, 800)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 this is not an image, only renamed .jpg", "not_image"),
        (png_bytes()[:60], "not_image"),
    ],
)
def test_bad_files_are_refused(data, code):
    with pytest.raises(photos.PhotoError) as error:
        photos.process_photo(data)
    assert error.value.code == code


def test_gif_is_refused_by_format():
    buffer = io.BytesIO()
    Image.new("P", (8, 8)).save(buffer, format="GIF")
    with pytest.raises(photos.PhotoError) as error:
        photos.process_photo(buffer.getvalue())
    assert error.value.code == "format"


def test_file_over_the_cap_is_refused_before_decoding():
    with pytest.raises(photos.PhotoError) as error:
        photos.process_photo(b"\xff\xd8" + b"0" * (50 * 1024 * 1024))
    assert error.value.code == "too_large"
