"""Demo data: Busan's safety catalogue in Korean and English, a partner key, sample reports."""

from django.db import transaction

from . import services
from .models import (
    AttributeValue,
    Category,
    CategoryAttribute,
    Department,
    Report,
    ResponseTemplate,
)

DEPARTMENTS = [
    ("roads", "도로관리과", "Road Management Division"),
    ("traffic", "교통관리과", "Traffic Management Division"),
    ("disaster", "재난안전과", "Disaster and Safety Division"),
    ("environment", "자원순환과", "Waste and Recycling Division"),
    ("coast", "해양수산과", "Ocean and Fisheries Division"),
]

# service_code, department, hours, ko name, en name, ko description, en description, group
CATEGORIES = [
    (
        "STREETLIGHT",
        "roads",
        72,
        "가로등·보안등 고장",
        "Broken streetlight",
        "꺼지거나 깜빡이는 가로등, 보안등",
        "A streetlight or security light that is off or flickering",
        "street",
    ),
    (
        "POTHOLE",
        "roads",
        48,
        "도로 파손·포트홀",
        "Pothole or damaged road",
        "움푹 파인 도로, 파손된 보도블록",
        "A pothole, a broken pavement or sidewalk block",
        "street",
    ),
    (
        "SINKHOLE",
        "disaster",
        6,
        "싱크홀·지반침하",
        "Sinkhole or subsidence",
        "도로나 보도가 꺼지거나 갈라짐",
        "The ground, a road or a sidewalk caving in or cracking",
        "safety",
    ),
    (
        "FIRELANE",
        "traffic",
        4,
        "소방차 전용구역 불법주차",
        "Illegal parking on a fire lane",
        "소방차 전용구역, 소화전 앞 불법 주정차",
        "A vehicle parked on a fire lane or at a hydrant",
        "traffic",
    ),
    (
        "WALL",
        "disaster",
        24,
        "축대·옹벽 붕괴 위험",
        "Collapsing wall or embankment",
        "금이 가거나 기울어진 축대, 옹벽, 담장",
        "A cracked or leaning retaining wall or fence",
        "safety",
    ),
    (
        "DUMPING",
        "environment",
        72,
        "쓰레기 무단투기",
        "Illegal dumping",
        "길가·공터의 무단투기 쓰레기",
        "Rubbish dumped on a street or empty lot",
        "sanitation",
    ),
    (
        "COAST",
        "coast",
        48,
        "해안 안전시설 파손",
        "Damaged coastal safety facility",
        "파손된 방파제 난간, 구명환, 안전펜스",
        "Broken seawall railing, lifebuoy or safety fence",
        "coast",
    ),
]

TEMPLATES = [
    (
        "Acknowledged",
        "acknowledged",
        "신고가 접수되어 담당 부서에 전달되었습니다.",
        "Your report was received and sent to the responsible department.",
    ),
    (
        "Crew dispatched",
        "in_progress",
        "현장 점검반이 출동했습니다.",
        "A crew has been sent to the site.",
    ),
    (
        "Fixed",
        "resolved",
        "조치가 완료되었습니다. 신고해 주셔서 감사합니다.",
        "The problem has been fixed. Thank you for reporting it.",
    ),
    (
        "Not a public matter",
        "rejected",
        "시의 관리 대상이 아니어서 종결합니다.",
        "This is not managed by the city, so the report is closed.",
    ),
]


@transaction.atomic
def seed_catalogue() -> None:
    """Creates the departments, categories, questions and templates (idempotent)."""
    departments = {}
    for code, name_ko, name_en in DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(
            code=code, defaults={"name_ko": name_ko, "name_en": name_en}
        )
    for code, dept, hours, name_ko, name_en, desc_ko, desc_en, group in CATEGORIES:
        Category.objects.get_or_create(
            service_code=code,
            defaults={
                "department": departments[dept],
                "target_hours": hours,
                "name_ko": name_ko,
                "name_en": name_en,
                "description_ko": desc_ko,
                "description_en": desc_en,
                "group": group,
            },
        )
    light = Category.objects.get(service_code="STREETLIGHT")
    pole, created = CategoryAttribute.objects.get_or_create(
        category=light,
        code="POLE",
        defaults={
            "datatype": "string",
            "required": False,
            "order": 1,
            "description_ko": "가로등 기둥 번호 (있으면)",
            "description_en": "Pole number, if any",
        },
    )
    kind, created = CategoryAttribute.objects.get_or_create(
        category=light,
        code="STATE",
        defaults={
            "datatype": "singlevaluelist",
            "required": True,
            "order": 2,
            "description_ko": "상태",
            "description_en": "What is wrong?",
        },
    )
    if created:
        for key, name_ko, name_en in (
            ("OFF", "꺼짐", "Off"),
            ("FLICKER", "깜빡임", "Flickering"),
            ("DAMAGED", "파손", "Damaged"),
        ):
            AttributeValue.objects.create(attribute=kind, key=key, name_ko=name_ko, name_en=name_en)
    fire = Category.objects.get(service_code="FIRELANE")
    CategoryAttribute.objects.get_or_create(
        category=fire,
        code="PLATE",
        defaults={
            "datatype": "string",
            "required": False,
            "order": 1,
            "description_ko": "차량 번호",
            "description_en": "Licence plate",
        },
    )
    CategoryAttribute.objects.get_or_create(
        category=fire,
        code="SEEN",
        defaults={
            "datatype": "datetime",
            "required": True,
            "order": 2,
            "description_ko": "목격 시각",
            "description_en": "When did you see it?",
        },
    )
    sink = Category.objects.get(service_code="SINKHOLE")
    CategoryAttribute.objects.get_or_create(
        category=sink,
        code="WIDTH",
        defaults={
            "datatype": "number",
            "required": False,
            "order": 1,
            "description_ko": "대략적인 폭 (m)",
            "description_en": "Approximate width (m)",
        },
    )
    for name, status, text_ko, text_en in TEMPLATES:
        ResponseTemplate.objects.get_or_create(
            name=name, defaults={"status": status, "text_ko": text_ko, "text_en": text_en}
        )


SAMPLE_REPORTS = [
    (
        "STREETLIGHT",
        35.1587,
        129.1604,
        "해운대해수욕장 앞 가로등이 밤새 꺼져 있어요.",
        {"STATE": ["OFF"]},
    ),
    ("POTHOLE", 35.1578, 129.0600, "서면 교차로 부근 도로에 큰 구멍이 있습니다.", {}),
    ("SINKHOLE", 35.0966, 129.0306, "자갈치시장 입구 보도가 내려앉았습니다.", {"WIDTH": ["1.5"]}),
    ("WALL", 35.1150, 129.0400, "초량동 산복도로 옹벽에 금이 갔습니다.", {}),
]


def seed_demo(*, stdout, users) -> None:
    """`manage.py seed_demo`: the catalogue, four reports by the demo citizen, one acknowledged."""
    seed_catalogue()
    citizen = users.get("citizen")
    staff = users.get("staff-safety")
    if Report.objects.exists():
        stdout.write("safety: demo reports already present")
        return
    with transaction.atomic():
        created = []
        for code, lat, long, text, answers in SAMPLE_REPORTS:
            created.append(
                services.report_create(
                    category=Category.objects.get(service_code=code),
                    lat=lat,
                    long=long,
                    description=text,
                    answers=answers,
                    reporter=citizen,
                )
            )
        if staff is not None and staff.is_staff:
            services.report_transition(
                report=created[2],
                to_status="acknowledged",
                actor=staff,
                public_note="현장 점검반이 출동했습니다.",
            )
    stdout.write(
        f"safety: {len(SAMPLE_REPORTS)} demo reports, {Category.objects.count()} categories"
    )
