"""Demo data: two universities, an instructor, two courses with real lesson text."""

import datetime
from decimal import Decimal

from django.utils import timezone

HASHING = """A **cryptographic hash function** maps data of any size to a fixed-size *digest*.
SHA-256 always produces 256 bits (32 bytes, written as 64 hexadecimal digits).

Three properties make hashes useful for tamper-evidence:

1. **Pre-image resistance** – from a digest you cannot find the data.
2. **Second pre-image resistance** – given data, you cannot find other data with the same digest.
3. **Collision resistance** – you cannot find *any* two inputs with the same digest.

Change a single character and the digest changes completely:

```
sha256("busan")  = 0x…
sha256("Busan")  = 0x…  (nothing in common)
```

BusanHub never puts personal data on a chain. It hashes a canonical form of a record
(JSON canonicalised with RFC 8785, *JCS*) and only the digest leaves the database.
"""

MERKLE = """A **Merkle tree** commits to many digests with one 32-byte *root*.

* Each leaf is a hash of one value. BusanHub uses OpenZeppelin's StandardMerkleTree:
  `leaf = keccak256(keccak256(abi.encode(digest)))`.
* Each inner node hashes its two children (sorted, so a proof needs no left/right flags).
* The root is the single node at the top.

To prove that one digest is in the tree you need only its **proof**: the sibling hashes on the
path to the root – about log₂(n) hashes. A batch of 10,000 records needs 14 hashes per proof.

| leaves | proof length |
|---|---|
| 2 | 1 |
| 8 | 3 |
| 1,024 | 10 |
"""

ANCHORING = """**Anchoring** publishes a Merkle root in a smart contract. BusanHub's `BusanAnchor`
contract stores the block time at which each root was anchored:

* `anchor(root, leafCount)` – only an anchorer may call it, and a root anchors once.
* `anchoredAt(root)` – the block timestamp, 0 if never anchored.
* `verify(proof, root, digest)` – true when the digest is a leaf of an anchored root.

A **receipt** bundles the digest, the proof, the root and the anchoring transaction. Anyone can
check it against any node of the chain without trusting the portal – which is what you will do
in the lab.
"""

VCS = """검증 가능한 자격증명(**Verifiable Credential**, VC 2.0)은
발급자가 디지털 서명한 주장입니다.

* **발급자(issuer)** – 예: 대학교. BusanHub의 대학은 `did:web` 식별자와 키를 가집니다.
* **보유자(holder)** – 학생. B Pass 지갑의 `did:key`에 자격증명이 묶입니다.
* **검증자(verifier)** – 고용주. 대학에 전화하지 않고도 서명과 상태를 확인합니다.

이 과정의 수료증은 **Open Badges 3.0** `OpenBadgeCredential`입니다. 성취(Achievement)와
기준(criteria)을 담고, 비트스트링 상태 목록(Bitstring Status List)으로 취소할 수 있으며,
그 다이제스트는 블록체인에 앵커링됩니다.
"""

STATUS = """상태 목록(**Bitstring Status List**)은 발급자가 서명한 긴 비트열입니다. 자격증명마다
무작위 위치(index)가 하나 있고, 그 비트가 1이면 취소된 것입니다. 검증자는 목록 전체를
내려받으므로 발급자는 누가 어떤 자격증명을 검증하는지 알 수 없습니다(herd privacy).
"""


OPEN_DATA = """부산시는 시민 신고, 수산물 이력, 바우처 결제 같은 기록의 **다이제스트**만 블록체인에
앵커링합니다. 개인정보는 체인에 올라가지 않습니다.

* 기록마다 **영수증**이 있습니다: 다이제스트, 머클 증명, 루트, 앵커링 트랜잭션.
* `/verify/`에서 영수증을 붙여 넣으면 누구나 체인에서 직접 확인할 수 있습니다.
"""

RECEIPTS = """영수증을 확인하는 세 단계:

1. 기록의 정규화된 JSON(RFC 8785)을 해시해 다이제스트를 구합니다.
2. 머클 증명으로 다이제스트에서 루트까지 올라갑니다.
3. `anchoredAt(root)`가 0이 아니면 그 시각에 앵커링된 것입니다.
"""


def _course(*, code, university, by, title, summary, level, language, modules, prerequisites=()):
    from education import services
    from education.models import Course

    existing = Course.objects.filter(code=code).first()
    if existing is not None:
        return existing
    today = timezone.localdate()
    course = services.course_create(
        by=by,
        university=university,
        code=code,
        title=title,
        summary=summary,
        level=level,
        language=language,
        starts_on=today - datetime.timedelta(days=14),
        ends_on=today + datetime.timedelta(days=120),
        capacity=200,
        pass_mark=60,
        prerequisites=list(prerequisites),
    )
    for module_title, lessons in modules:
        module = services.module_create(course=course, by=by, title=module_title)
        for lesson in lessons:
            questions = lesson.pop("questions", [])
            created = services.lesson_create(module=module, by=by, **lesson)
            for question in questions:
                services.question_create(lesson=created, by=by, **question)
    return services.course_publish(course=course, by=by)


def seed(*, stdout, users: dict) -> None:
    """Idempotent: universities, the demo instructor at PKNU and two published courses."""
    from busanhub.accounts.roles import role_assign
    from education.models import Instructor, University

    pknu, _ = University.objects.get_or_create(
        slug="pknu",
        defaults={
            "name": "Pukyong National University",
            "name_ko": "부경대학교",
            "website": "https://www.pknu.ac.kr",
        },
    )
    pnu, _ = University.objects.get_or_create(
        slug="pnu",
        defaults={
            "name": "Pusan National University",
            "name_ko": "부산대학교",
            "website": "https://www.pusan.ac.kr",
        },
    )
    instructor = users.get("instructor")
    staff = users.get("staff-education") or users.get("admin")
    if instructor is not None:
        role_assign(user=instructor, role="instructor")
        Instructor.objects.get_or_create(user=instructor, defaults={"university": pknu})
    author = instructor or staff
    if author is None:
        return
    basics = _course(
        code="pknu-bc101",
        university=pknu,
        by=author,
        level="beginner",
        language="en",
        title="Blockchain foundations: hashing, Merkle trees and anchoring",
        summary="How a city makes its records tamper-evident: hash functions, Merkle trees, "
        "anchoring roots in a smart contract, and checking receipts yourself on the chain.",
        modules=[
            ("Hashing", [{"title": "Hash functions", "body": HASHING}]),
            (
                "Merkle trees",
                [
                    {"title": "Merkle trees and proofs", "body": MERKLE},
                    {
                        "title": "Quiz: hashing and Merkle trees",
                        "kind": "quiz",
                        "body": "",
                        "max_attempts": 3,
                        "questions": [
                            {
                                "kind": "single",
                                "prompt": "How long is a SHA-256 digest?",
                                "choices": [
                                    ("32 bytes", True),
                                    ("16 bytes", False),
                                    ("64 bytes", False),
                                ],
                                "feedback": "256 bits are 32 bytes (64 hex digits).",
                            },
                            {
                                "kind": "multiple",
                                "prompt": "Which properties does a cryptographic "
                                "hash function have?",
                                "choices": [
                                    ("Collision resistance", True),
                                    ("Pre-image resistance", True),
                                    ("It can be decrypted with a key", False),
                                ],
                            },
                            {
                                "kind": "numeric",
                                "prompt": "How many hashes does a proof have in a "
                                "balanced tree of 1,024 leaves?",
                                "numeric_answer": Decimal(10),
                                "feedback": "log2(1024) = 10.",
                            },
                        ],
                    },
                ],
            ),
            (
                "Anchoring",
                [
                    {"title": "Anchoring and receipts", "body": ANCHORING},
                    {
                        "title": "Lab: verify a receipt on chain",
                        "kind": "lab",
                        "lab_task": "verify_receipt",
                        "body": "Call `verify(proof, root, digest)` and `anchoredAt(root)` on the "
                        "lab contract and report whether the chain accepts the receipt, with "
                        "what `anchoredAt` returned; for a receipt that fails, also the root its "
                        "proof really leads to. Half of the receipts are tampered, and three "
                        "wrong answers lock the lab for an hour!",
                    },
                    {
                        "title": "Lab: anchor your own digest",
                        "kind": "lab",
                        "lab_task": "anchor_digest",
                        "body": "Anchor the digest of a text of your choice from your sandbox "
                        "account "
                        "and hand in the transaction hash.",
                    },
                ],
            ),
        ],
    )
    _course(
        code="pnu-vc201",
        university=pnu,
        by=staff or author,
        level="intermediate",
        language="ko",
        title="검증 가능한 자격증명과 B Pass",
        summary="W3C 검증 가능한 자격증명 2.0, DID, 상태 목록, Open Badges 3.0 수료증을 배웁니다.",
        prerequisites=[basics],
        modules=[
            (
                "자격증명",
                [
                    {"title": "검증 가능한 자격증명", "body": VCS},
                    {"title": "상태 목록과 취소", "body": STATUS},
                    {
                        "title": "퀴즈: 자격증명",
                        "kind": "quiz",
                        "body": "",
                        "questions": [
                            {
                                "kind": "single",
                                "prompt": "수료증에 서명하는 것은 누구입니까?",
                                "choices": [("대학(발급자)", True), ("학생(보유자)", False)],
                            },
                            {
                                "kind": "numeric",
                                "prompt": "취소된 자격증명의 상태 비트 값은?",
                                "numeric_answer": Decimal(1),
                            },
                        ],
                    },
                ],
            ),
        ],
    )
    orientation = _course(
        code="pknu-bh100",
        university=pknu,
        by=author,
        level="beginner",
        language="ko",
        title="부산 공공기록 읽기: 영수증과 검증",
        summary="시가 앵커링하는 기록과 그 영수증을 직접 확인하는 방법을 배우는 짧은 과정입니다.",
        modules=[
            (
                "기록과 영수증",
                [
                    {"title": "체인에 올라가는 것", "body": OPEN_DATA},
                    {"title": "영수증 확인하기", "body": RECEIPTS},
                ],
            )
        ],
    )
    _certificate_for(course=orientation, student=users.get("student"))
    stdout.write("education: 2 universities, 3 courses, the demo student's certificate\n")


def _certificate_for(*, course, student) -> None:
    """The demo student completes the course the way a student does (enrollment, every
    reading) and the issuing service the completion queues runs now: it signs the Open Badge
    credential into the student's B Pass and anchors the course's batch. Idempotent: an
    enrolled student is not enrolled again, readings are done once, issued certificates are
    skipped."""
    from education import services
    from education.models import Enrollment, Lesson

    if student is None:
        return
    enrollment = Enrollment.objects.filter(
        course=course, student=student
    ).first() or services.enrollment_create(course=course, student=student)
    for lesson in Lesson.objects.filter(module__course=course, kind=Lesson.Kind.TEXT):
        services.lesson_complete(enrollment=enrollment, lesson=lesson)
    # What tasks.certificates_issue_for_course does after the commit, without waiting for a
    # worker: the screenshots and the demo want the certificate as soon as seed_demo ends.
    services.certificates_issue(course=course)
