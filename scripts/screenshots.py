"""PNGs of the portal's main pages on a phone and a desktop, in Korean and English, and a contact
sheet (`var/screenshots/index.html`) to look at every page at once: `make screenshots`.

Uses the portal that answers at BASE_URL (default http://127.0.0.1:8000, e.g. `make run`);
when none answers (or with --start) it starts its own: the embedded PostgreSQL (unless
DATABASE_URL is set), migrate, seed_demo, runserver on a free port, and stops what it started.
Pages that need a login are taken as the demo users of `seed_demo` (DEMO_PASSWORD); pages with
an id in their address (a receipt, a credential, a report, a course...) are found by following
the links of the page that lists them. Drives Debian's Chromium (CHROMIUM_PATH) through
Playwright.

    .venv/bin/python scripts/screenshots.py [--start] [--only SLUG ...] [--out DIR]
"""

import argparse
import html
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DEMO_DOMAIN = "demo.busanhub.kr"
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "busan-demo-2026")
SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}
LANGUAGES = {"ko": "ko-KR", "en": "en-US"}
# Pages taller than this are cut (Swagger UI lists every operation).
MAX_HEIGHT = 6000


@dataclass
class Shot:
    """One page: `path` is an address, or `find` = (listing address, link pattern[, text
    pattern]) followed to its first matching link. `wait` is a selector to wait for."""

    slug: str
    title: str
    role: str | None = None  # the demo login (citizen, student, staff-safety, ...), or anonymous
    path: str | None = None
    find: tuple = ()
    wait: str | None = None
    prepare: str | None = None  # a button clicked on the listing page first, if it is there
    full_page: bool = True  # False: the first screen only


ENROL = 'form[action$="/enroll/"] [type="submit"]'
SHOTS = [
    Shot("home", "Home", path="/"),
    Shot("dashboard", "My dashboard", role="citizen", path="/me/"),
    Shot("exchange-home", "Exchange: markets", path="/exchange/"),
    Shot(
        "exchange-trade",
        "Exchange: trading",
        role="citizen",
        find=("/exchange/", r"^/exchange/markets/[^/]+/$"),
        wait="#exchange-chart canvas",
    ),
    Shot("exchange-wallet", "Exchange: wallet", role="citizen", path="/exchange/wallet/"),
    Shot("vouchers-wallet", "Vouchers: wallet", role="citizen", path="/vouchers/"),
    Shot(
        "vouchers-receipt",
        "Vouchers: receipt",
        role="citizen",
        find=("/vouchers/", r"^/vouchers/receipts/[0-9a-f-]{36}/$"),
    ),
    Shot("bpass-wallet", "B Pass: wallet", role="citizen", path="/identity/"),
    Shot(
        "bpass-credential",
        "B Pass: credential",
        role="citizen",
        find=("/identity/", r"^/identity/credentials/[0-9a-f-]{36}/$"),
    ),
    Shot("safety-form", "Safety: report form", role="citizen", path="/safety/report/"),
    Shot("safety-map", "Safety: public map", path="/safety/map/", wait=".leaflet-container"),
    Shot(
        "safety-report",
        "Safety: a report",
        role="citizen",
        find=("/safety/mine/", r"^/safety/reports/[0-9a-f-]{36}/$"),
    ),
    Shot(
        "bfresh-consumer",
        "B-Fresh: consumer page",
        find=("/logistics/", r"^/01/\d+/10/[^/]+/?$"),
    ),
    Shot("education-home", "Education: courses", role="student", path="/education/"),
    Shot(
        "education-course",
        "Education: course",
        role="student",
        find=("/education/", r"^/education/courses/[0-9a-f-]{36}/$"),
    ),
    Shot(
        "education-lesson",
        "Education: lesson",
        role="student",
        find=("@education-course", r"^/education/lessons/[0-9a-f-]{36}/$", r"^(?!.*(quiz|퀴즈))"),
        prepare=ENROL,  # the demo student enrols in the course to open its lessons
    ),
    Shot(
        "education-quiz",
        "Education: quiz",
        role="student",
        find=("@education-course", r"^/education/lessons/[0-9a-f-]{36}/$", r"(?i)quiz|퀴즈"),
    ),
    Shot(
        "education-certificate",
        "Education: certificate",
        role="student",
        find=("/education/me/", r"^/certificates/[0-9a-f-]{36}$"),
    ),
    Shot("verify", "Verify", path="/verify/"),
    Shot(
        "verify-record",
        "Verify: a record",
        find=("@safety-report", r"^/verify/0x[0-9a-f]{64}$"),
        role="citizen",
    ),
    Shot(
        "api-docs",
        "API docs (Swagger UI)",
        path="/api/docs/",
        wait=".opblock-summary-path",
        full_page=False,
    ),
    Shot(
        "api-redoc",
        "API docs (ReDoc)",
        path="/api/redoc/",
        wait="[data-section-id]",
        full_page=False,
    ),
    Shot("admin-home", "Admin", role="admin", path="/admin/"),
    Shot(
        "admin-safety-queue",
        "Admin: safety queue",
        role="staff-safety",
        path="/admin/safety/report/",
    ),
    Shot(
        "admin-withdrawals",
        "Admin: exchange withdrawals",
        role="staff-exchange",
        path="/admin/exchange/chainwithdrawal/",
    ),
]


def answers(url: str, timeout: float = 2.0) -> bool:
    """True if an HTTP server answers at `url` (any status: /healthz is 503 without a chain)."""
    try:
        urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - a local URL of our own
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """The portal to photograph: the running one, or one this script starts and stops."""

    def __init__(self, base_url: str, *, start: bool, log: Path):
        self.base_url = base_url.rstrip("/")
        self.force_start = start
        self.log = log
        self.server: subprocess.Popen | None = None
        self.started_db = False

    def __enter__(self) -> "Portal":
        if not self.force_start and answers(self.base_url + "/healthz"):
            print(f"Using the portal at {self.base_url}")
            return self
        env = dict(os.environ)
        if not env.get("DATABASE_URL"):
            status = subprocess.run([PYTHON, "-m", "busanhub.devdb", "status"], cwd=ROOT)
            if status.returncode != 0:
                subprocess.run([PYTHON, "-m", "busanhub.devdb", "start"], cwd=ROOT, check=True)
                self.started_db = True
        manage = [PYTHON, "manage.py"]
        with self.log.open("w") as log:
            for command in (["migrate", "--noinput"], ["seed_demo"]):
                print("manage.py", " ".join(command))
                subprocess.run(manage + command, cwd=ROOT, env=env, check=True, stdout=log)
            port = free_port()
            self.base_url = f"http://127.0.0.1:{port}"
            print(f"Starting the portal at {self.base_url} (log: {self.log})")
            self.server = subprocess.Popen(
                [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while not answers(self.base_url + "/healthz"):
            if self.server.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise SystemExit(f"The portal did not start; see {self.log}")
            time.sleep(0.5)
        return self

    def __exit__(self, *exc) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.server.kill()
        if self.started_db:
            subprocess.run([PYTHON, "-m", "busanhub.devdb", "stop"], cwd=ROOT)


class Photographer:
    def __init__(self, browser, base_url: str, out: Path):
        self.browser = browser
        self.base_url = base_url
        self.out = out
        self.contexts: dict[tuple, object] = {}
        self.found: dict[str, str] = {}  # slug -> the address a page was found at
        self.notes: dict[str, str] = {}  # slug -> why it was not taken

    def context(self, role: str | None, language: str):
        key = (role, language)
        if key not in self.contexts:
            context = self.browser.new_context(
                locale=LANGUAGES[language], viewport=SCREENS["phone"]
            )
            context.set_default_timeout(15_000)
            if role:
                self.login(context, role)
            # After the login (which applies the user's preferred language), the cookie
            # decides: the demo users keep their own preference.
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": self.base_url}]
            )
            self.contexts[key] = context
        return self.contexts[key]

    def login(self, context, role: str) -> None:
        page = context.new_page()
        page.goto(self.base_url + "/accounts/login/")
        page.locator('input[name="login"]').fill(f"{role}@{DEMO_DOMAIN}")
        page.locator('input[name="password"]').fill(DEMO_PASSWORD)
        page.locator('input[name="password"]').press("Enter")
        page.wait_for_load_state("load")
        if "/accounts/login/" in page.url:
            page.close()
            raise RuntimeError(f"the demo login {role}@{DEMO_DOMAIN} was refused")
        page.close()

    def address(self, shot: Shot, page) -> str | None:
        if shot.path:
            return shot.path
        listing, pattern, *text = shot.find
        if listing.startswith("@"):
            listing = self.found.get(listing[1:])
            if listing is None:
                return None
        page.goto(self.base_url + listing, wait_until="load")
        if shot.prepare and page.locator(shot.prepare).count():
            with page.expect_navigation():
                page.locator(shot.prepare).first.click()
            page.goto(self.base_url + listing, wait_until="load")
        links = page.eval_on_selector_all(
            "a[href]", "links => links.map(a => [a.getAttribute('href'), a.textContent.trim()])"
        )
        origin = self.base_url
        for href, label in links:
            href = href.removeprefix(origin)
            if re.search(pattern, href) and (not text or re.search(text[0], label)):
                return href
        return None

    def take(self, shot: Shot) -> dict[tuple, str]:
        files = {}
        for language in LANGUAGES:
            page = self.context(shot.role, language).new_page()
            try:
                address = self.address(shot, page)
                if address is None:
                    self.notes[shot.slug] = "no link to it in the demo data"
                    return files
                self.found[shot.slug] = address
                response = page.goto(self.base_url + address, wait_until="load")
                if shot.wait:
                    try:
                        page.locator(shot.wait).first.wait_for(state="attached", timeout=40_000)
                    except Exception:  # noqa: BLE001 - photograph what is there
                        self.notes[shot.slug] = f"{shot.wait} did not appear"
                if response is not None and response.status >= 400:
                    # Shown as served (a page that answers an error is still photographed).
                    self.notes[shot.slug] = f"answered HTTP {response.status}"
                for screen, viewport in SCREENS.items():
                    page.set_viewport_size(viewport)
                    page.wait_for_timeout(700)  # charts and maps redraw at the new size
                    height = page.evaluate("document.documentElement.scrollHeight")
                    name = f"{shot.slug}-{screen}-{language}.png"
                    clip = {"x": 0, "y": 0, "width": viewport["width"], "height": MAX_HEIGHT}
                    page.screenshot(
                        path=str(self.out / name),
                        full_page=shot.full_page,
                        clip=clip if shot.full_page and height > MAX_HEIGHT else None,
                    )
                    files[(screen, language)] = name
            finally:
                page.close()
        return files


def contact_sheet(out: Path, rows: list[tuple[Shot, str | None, dict]], notes: dict) -> None:
    (out / "index.css").write_text(
        "body{font-family:sans-serif;margin:1rem;background:#f4f6f8}"
        "table{border-collapse:collapse}td,th{vertical-align:top;padding:.4rem;"
        "border-bottom:1px solid #ccd}th{text-align:left}"
        "tr>th:first-child{width:10rem;min-width:10rem;overflow-wrap:anywhere}"
        "img{display:block;border:1px solid #aab;background:#fff}"
        ".phone img{width:195px}.desktop img{width:341px}.note{color:#a33}"
        "td img{max-height:600px;object-fit:cover;object-position:top}",
        encoding="utf-8",
    )
    head = "".join(
        f"<th>{screen} · {language}</th>" for screen in SCREENS for language in LANGUAGES
    )
    body = []
    for shot, address, files in rows:
        cells = []
        for screen in SCREENS:
            for language in LANGUAGES:
                name = files.get((screen, language))
                cells.append(
                    f'<td class="{screen}"><a href="{name}"><img src="{name}" alt="" '
                    f'loading="lazy"></a></td>'
                    if name
                    else "<td></td>"
                )
        note = notes.get(shot.slug)
        label = html.escape(shot.title) + (
            f"<br><code>{html.escape(address)}</code>" if address else ""
        )
        if note:
            label += f'<br><span class="note">{html.escape(note)}</span>'
        body.append(f"<tr><th>{label}</th>{''.join(cells)}</tr>")
    (out / "index.html").write_text(
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>BusanHub screenshots'
        '</title><link rel="stylesheet" href="index.css"><h1>BusanHub screenshots</h1>'
        f"<p>{time.strftime('%Y-%m-%d %H:%M %Z')}: {len(rows)} pages, phone 390×844 and "
        "desktop 1366×900, Korean and English. Click a picture for the full page.</p>"
        f"<table><tr><th>page</th>{head}</tr>{''.join(body)}</table></html>",
        encoding="utf-8",
    )


def wanted(slugs: list[str]) -> set[str]:
    """The pages asked for and the pages whose address they are found on."""
    by_slug = {shot.slug: shot for shot in SHOTS}
    todo, found = list(slugs), set()
    while todo:
        slug = todo.pop()
        if slug in found or slug not in by_slug:
            continue
        found.add(slug)
        listing = by_slug[slug].find[0] if by_slug[slug].find else ""
        if listing.startswith("@"):
            todo.append(listing[1:])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", action="store_true", help="start a portal even if one runs")
    parser.add_argument(
        "--only", nargs="*", metavar="SLUG", help="these pages (and what they need)"
    )
    parser.add_argument("--out", default=str(ROOT / "var" / "screenshots"))
    args = parser.parse_args(argv)
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        print(f"Chromium not found at {CHROMIUM} (set CHROMIUM_PATH)", file=sys.stderr)
        return 1
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.dev")
    base_url = os.environ.get("BASE_URL", "http://127.0.0.1:8000")

    from playwright.sync_api import sync_playwright

    rows = []
    with Portal(base_url, start=args.start, log=out / "portal.log") as portal:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu"]
            )
            photographer = Photographer(browser, portal.base_url, out)
            for shot in SHOTS:
                if args.only and shot.slug not in wanted(args.only):
                    continue
                try:
                    files = photographer.take(shot)
                except Exception as error:  # noqa: BLE001 - one page's failure is a note
                    photographer.notes[shot.slug] = f"failed: {error}".splitlines()[0]
                    files = {}
                rows.append((shot, photographer.found.get(shot.slug), files))
                status = photographer.notes.get(shot.slug, f"{len(files)} PNGs")
                print(f"  {shot.slug}: {status}")
            browser.close()
        contact_sheet(out, rows, photographer.notes)
    taken = sum(len(files) for _, _, files in rows)
    print(f"{taken} PNGs in {out}; contact sheet: {out / 'index.html'}")
    return 0 if taken else 1


if __name__ == "__main__":
    sys.exit(main())
