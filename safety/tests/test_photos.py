import hashlib
import io
import threading

import pytest
from PIL import Image, ImageFile, JpegImagePlugin

from safety import photos
from safety.tests.factories import flat_png, jpeg_with_gps, noisy_jpeg, png_bomb, png_bytes


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


def test_jpeg_comment_is_not_carried_into_the_public_copy():
    # Given a JPEG with a comment (COM marker), which Pillow's JPEG save copies from `info`
    buffer = io.BytesIO()
    Image.new("RGB", (2048, 1536), "red").save(buffer, format="JPEG", comment=b"home address")

    # When it is processed
    result = photos.process_photo(buffer.getvalue())

    # Then the public copy holds no comment
    assert b"home address" in result.original
    assert b"home address" not in result.public
    assert "comment" not in Image.open(io.BytesIO(result.public)).info


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "P"])
def test_large_png_is_reduced_to_the_public_size_in_rgb(mode):
    # Given a 4000 x 3000 PNG (reduced by 2, then resampled) of one colour
    colour = Image.new("RGB", (4000, 3000), (200, 40, 40))
    source = colour.quantize(colors=2) if mode == "P" else colour.convert(mode)
    buffer = io.BytesIO()
    source.save(buffer, format="PNG")

    # When it is processed
    result = photos.process_photo(buffer.getvalue())

    # Then the public copy is an RGB JPEG of 1600 x 1200 with the same colour
    public = Image.open(io.BytesIO(result.public))
    assert (public.format, public.mode, public.size) == ("JPEG", "RGB", (1600, 1200))
    expected = source.convert("RGB").getpixel((0, 0))
    assert all(abs(a - b) <= 3 for a, b in zip(public.getpixel((800, 600)), expected, strict=True))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 this is not an image, only renamed .jpg", "not_image"),
        (png_bytes()[:60], "damaged"),
        (noisy_jpeg(640, 480)[:4000], "damaged"),
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


def test_png_of_6300_by_6300_is_refused_from_its_header_alone(monkeypatch):
    # Given the file: 131 KB on disk, 39.7 Mpx (119 MB once decoded)
    data = flat_png(6300, 6300)
    assert len(data) < 200 * 1024
    decoded = []
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda image: decoded.append(image.size))

    # When it is checked against the default budget
    with pytest.raises(photos.PhotoError) as error:
        photos.process_photo(data)

    # Then it is refused as too many pixels, and no pixel was decoded
    assert error.value.code == "too_many_pixels"
    assert error.value.params == {"limit": "16"}
    assert decoded == []


def test_png_decompression_bomb_is_refused_as_too_many_pixels():
    # Given a 48 KB PNG that declares 20,000 x 20,000 pixels (400 MB decoded)
    data = png_bomb()
    assert len(data) < 100 * 1024

    # When it is checked, then it is refused as too many pixels, not as an unreadable file
    with pytest.raises(photos.PhotoError) as error:
        photos.process_photo(data)
    assert error.value.code == "too_many_pixels"


@pytest.mark.parametrize(("size", "accepted"), [((3999, 4001), True), ((4000, 4001), False)])
def test_pixel_budget_edge(size, accepted):
    # 3999 x 4001 = 16,000,000 - 1 pixels; 4000 x 4001 is 4,000 over the budget
    data = flat_png(*size)
    if accepted:
        result = photos.process_photo(data)
        assert (result.width, result.height) == (1599, 1600)
    else:
        with pytest.raises(photos.PhotoError) as error:
            photos.process_photo(data)
        assert error.value.code == "too_many_pixels"


def test_budget_is_a_parameter():
    with pytest.raises(photos.PhotoError) as error:
        photos.process_photo(png_bytes(32, 32), max_pixels=32 * 32 - 1)
    assert error.value.params == {"limit": "0.001023"}
    assert photos.process_photo(png_bytes(32, 32), max_pixels=32 * 32).width == 32


def test_large_jpeg_is_decoded_at_a_reduced_scale(monkeypatch):
    # Given a 4800 x 3200 JPEG (15.4 Mpx): half is still wider than 1600, a quarter is not
    data = noisy_jpeg(4800, 3200)
    decoded = []
    load = JpegImagePlugin.JpegImageFile.load

    def spy(image):
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", spy)

    # When it is processed
    result = photos.process_photo(data)

    # Then the decoder produced a quarter of the size (DCT scaling), not the full 15.4 Mpx, and
    # that is the public copy, not resampled
    assert decoded[0] == (1200, 800)
    assert (result.width, result.height) == (1200, 800)


def test_exif_orientation_is_applied_after_the_reduction():
    # Given a landscape JPEG whose EXIF says "rotate 90° clockwise to view"
    exif = Image.Exif()
    exif[0x0112] = 6
    data = noisy_jpeg(4000, 3000, exif=exif)

    # When it is processed, then the public copy is upright: portrait, and without the tag
    result = photos.process_photo(data)
    public = Image.open(io.BytesIO(result.public))
    assert (result.width, result.height) == public.size == (750, 1000)
    assert dict(public.getexif()) == {}


def test_decode_slots_let_size_holders_in_and_time_out_the_next():
    # Given two slots, both held by real threads
    slots = photos.DecodeSlots(2)
    entered = threading.Barrier(3)
    release = threading.Event()

    def holder():
        with slots.hold(timeout=1):
            entered.wait()
            release.wait()

    threads = [threading.Thread(target=holder) for _ in range(2)]
    for thread in threads:
        thread.start()
    entered.wait()

    # When a third decode asks for a slot, then it waits the timeout and is told busy
    with pytest.raises(photos.DecodeSlotsBusy), slots.hold(timeout=0.05):
        pass

    # And once a holder leaves, a slot is free again
    release.set()
    for thread in threads:
        thread.join()
    with slots.hold(timeout=0.05):
        pass


def test_decode_slots_are_one_per_process_and_follow_the_configured_size():
    assert photos.decode_slots(2) is photos.decode_slots(2)
    assert photos.decode_slots(3).size == 3
    with pytest.raises(ValueError):
        photos.DecodeSlots(0)
