"""Demo data: a set of B Pass credentials for the demo citizen, and a pending application."""

from datetime import date, timedelta

from identity import credential_types as ct


def seed_demo(*, stdout, users: dict) -> None:
    """Idempotent: issues each credential type once to the demo citizen."""
    from identity import services
    from identity.models import Credential, CredentialApplication

    citizen = users.get("citizen")

    if citizen is None:
        return
    wallet = services.wallet_open(user=citizen)
    city = services.city_issuer()
    wanted = {
        ct.RESIDENT: {"district": "Haeundae-gu", "residentSince": "2019-03-01"},
        ct.ADULT: {"ageOver": 19},
        ct.EXCHANGE_KYC: {"kycLevel": 2},
    }
    for credential_type, claims in wanted.items():
        if Credential.objects.filter(holder=citizen, credential_type=credential_type).exists():
            continue
        services.credential_issue(
            issuer=city,
            subject_did=wallet.did,
            types=[credential_type],
            claims=claims,
            holder=citizen,
        )
        stdout.write(f"identity: issued {credential_type} to {citizen.email}\n")
    student = users.get("student")
    if student is not None and not CredentialApplication.objects.filter(applicant=student).exists():
        services.application_submit(
            applicant=student,
            credential_type=ct.STUDENT,
            claims={
                "university": "Pusan National University",
                "programme": "Computer Science",
                "studentUntil": (date.today() + timedelta(days=365)).isoformat(),
            },
            evidence_details={"document": "enrolment_certificate", "student_number": "202612345"},
            evidence="Enrolment letter 2026",
        )
        stdout.write(f"identity: pending StudentCredential application for {student.email}\n")
