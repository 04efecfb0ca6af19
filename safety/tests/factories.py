import functools
import io
import random
import struct
import zlib

import factory
from PIL import Image

from busanhub.accounts.models import User
from safety import services
from safety.models import AttributeValue, Category, CategoryAttribute, Department

# Busan City Hall, Yeonje-gu; Gimhae (Gyeongsangnam-do) is just across the boundary.
CITY_HALL = (35.1798, 129.0750)
GIMHAE = (35.2285, 128.8894)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"citizen{n}@example.kr")
    name = factory.Sequence(lambda n: f"Citizen {n}")
    preferred_language = "ko"
    password = factory.django.Password("jagalchi-market-2026")


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@busan.go.kr")
    is_staff = True


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = "roads"
    name_ko = "도로관리과"
    name_en = "Road Management Division"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    service_code = factory.Sequence(lambda n: f"CAT{n:03d}")
    name_ko = "가로등 고장"
    name_en = "Broken streetlight"
    description_ko = "꺼지거나 깜빡이는 가로등"
    description_en = "A streetlight that is off or flickering"
    group = "street"
    department = factory.SubFactory(DepartmentFactory)
    target_hours = 72


def add_attribute(category, *, code, datatype, required=False, values=(), order=None):
    attribute = CategoryAttribute.objects.create(
        category=category,
        code=code,
        datatype=datatype,
        required=required,
        order=order or category.attributes.count() + 1,
        description_ko=f"{code} 질문",
        description_en=f"{code} question",
    )
    for key, name in values:
        AttributeValue.objects.create(attribute=attribute, key=key, name_ko=name, name_en=name)
    return attribute


def jpeg_with_gps(width=64, height=48, color=(200, 30, 30)) -> bytes:
    """A real JPEG whose EXIF carries a GPS position and a camera model."""
    image = Image.new("RGB", (width, height), color)
    exif = Image.Exif()
    exif[0x0110] = "BusanCam 3000"  # Model
    gps = {1: "N", 2: (35.0, 10.0, 47.0), 3: "E", 4: (129.0, 4.0, 30.0)}
    exif[0x8825] = gps
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def png_bytes(width=32, height=32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 255, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


@functools.cache
def flat_png(width: int, height: int) -> bytes:
    """One colour, so it compresses hard: 6300x6300 RGB is ~130 KB on disk, 119 MB decoded
    (made once per size and test session)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def png_bomb(side: int = 20_000) -> bytes:
    """A valid 1-bit PNG of side x side pixels (400 Mpx by default: 400 MB once Pillow decodes
    it, a byte a pixel) made of zeros, compressed row by row so that building it never holds
    the pixels: ~50 KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    compressor = zlib.compressobj(9)
    row = bytes(1 + (side + 7) // 8)  # filter byte + one bit per pixel
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def noisy_jpeg(width: int, height: int, *, seed: int = 1, exif: Image.Exif | None = None) -> bytes:
    """A JPEG that compresses like a photo (smoothed noise)."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (64, 48), rng.randbytes(64 * 48 * 3))
    buffer = io.BytesIO()
    small.resize((width, height), Image.Resampling.BILINEAR).save(
        buffer, format="JPEG", quality=88, exif=exif or Image.Exif()
    )
    return buffer.getvalue()


def make_report(*, category=None, reporter=None, lat=CITY_HALL[0], long=CITY_HALL[1], **kwargs):
    category = category or CategoryFactory()
    return services.report_create(
        category=category,
        lat=lat,
        long=long,
        description=kwargs.pop("description", "가로등이 꺼져 있어요"),
        reporter=reporter,
        **kwargs,
    )


def staff_member(role: str = "staff-safety"):
    """A staff user in a role group with the app's permissions (granted again, idempotently,
    in case a transactional test flushed what the migration made)."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    from busanhub.accounts.roles import grant_app_permissions

    grant_app_permissions(
        apps, None, group_name=role, app_labels=["safety"], view_only=role == "auditor"
    )
    user = StaffFactory()
    user.groups.add(Group.objects.get(name=role))
    return user
