"""Demo data of the platform: a public notice, anchored by the running pipeline."""

from busanhub.chain import services

NOTICE = {
    "title": "BusanHub is open",
    "title_ko": "부산허브 개통",
    "text": (
        "Every record of the portal's services is anchored on chain; check any receipt at /verify/."
    ),
    "published": "2026-11-25",
}


def seed(*, stdout, users) -> None:
    leaf = services.anchor_record(
        kind="portal.notice", ref="welcome", version=1, data=NOTICE, public=True
    )
    stdout.write(f"chain: demo notice queued for anchoring, digest {leaf.digest}")
