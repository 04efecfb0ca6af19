"""Citizen Safety Report benchmark: report submissions with photo processing, public map query.

    .venv/bin/python bench/safety.py --quick
    .venv/bin/python bench/safety.py --quick --submissions-only   # the photo submissions alone
    .venv/bin/python bench/safety.py --quick --submissions-only --submitters 2   # and from 2
    .venv/bin/python bench/safety.py --quick --submissions-only --profile   # their cProfile
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/busanhub .venv/bin/python bench/safety.py

Runs against a throw-away database made by Django's test-database machinery (on whatever
DATABASE_URL names) and removes it at the end. Prints figures only, asserts nothing about
timing. The last line printed is the headline:

    photos_per_s=N map_p95_ms=N photos_peak_mb=N [photos_per_s_Np=N submission_cpu_ms_Np=N]

(`photos_peak_mb`: three reports of five 16 Mpx PNGs at once, the worst allowed case.)

- photo submission (`photos_per_s`): one report with one 2048x1536 JPEG (794 KiB, GPS EXIF)
  POSTed by a signed-in citizen to the report form, `/safety/report/`, through Django's whole
  request stack (sessions, CSRF, middleware), the form, `safety.services.report_create`
  (boundary check, answers, the photo's header checked, decoded at the DCT scale of its
  public copy and re-encoded without metadata, SHA-256, rows, anchored envelope, map cells)
  and the redirect; sequential, one process. Also printed: CPU per submission of this process
  and of its PostgreSQL backend (/proc), which is what a 2-CPU machine divides. The citizen's
  browser drops the "thank you" message after each submission, as the page it is redirected
  to shows it (before, the unread messages piled up in the cookie and then the session).
- with `--submitters N` (N > 1), the same number of submissions again, split over N forked
  processes that start together, each with its own database connection and session, as N web
  processes serve N citizens at once: `photos_per_s_Np` is the whole rate (submissions over
  the span from the first start to the last end), `submission_cpu_ms_Np` the CPU per
  submission of the N processes and of their N backends together. On a machine with other
  work the rate says little; the CPU per submission says what N free CPUs would give.
- photos (issue 14 item 7): peak memory and time of `report_create` with five photos each,
  sequential and three reports at once (threads, as a threaded web worker runs them):
  five 4608x3456 JPEGs (15.9 Mpx, a 16 MP phone's, under the 16 Mpx budget), five 3999x4001
  PNGs (the budget less one pixel; PNG has no reduced decode), and the issue's five 6300x6300
  PNGs of 131 KB (39.7 Mpx: refused from their headers). Peak memory is the process's peak
  resident set (Linux VmHWM, reset through /proc/self/clear_refs before each case) less its
  resident set at the start of the case, in MB.
- map: GET /api/v1/safety/map as the public map's JavaScript asks it (bbox to 6 decimals,
  category and status filters), through the whole request stack, over 100,000 reports spread
  inside Busan's boundary, with random viewports from street to city scale and random
  filters: latency per request (body built, or read from the cache for a clustered viewport
  seen before with no report changed since) and CPU per request of this process and of its
  PostgreSQL backend. The API's per-client rate limits are off (they bound one client).
"""

import argparse
import cProfile
import io
import logging
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "busanhub.settings.test")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image  # noqa: E402
from rest_framework.throttling import SimpleRateThrottle  # noqa: E402

from bench.cpu import backend_cpu_reader, proc_cpu_seconds  # noqa: E402
from busanhub import basemap  # noqa: E402
from busanhub.accounts.models import User  # noqa: E402
from safety import geo, services  # noqa: E402
from safety.models import Category, Report  # noqa: E402
from safety.seed import seed_catalogue  # noqa: E402

MAP_REPORTS = 100_000
INSERT_CHUNK = 5_000
BUSAN_BOX = (35.00, 128.76, 35.39, 129.31)  # min_lat, min_long, max_lat, max_long


def out(line: str) -> None:
    print(line, flush=True)


def use_own_test_database() -> None:
    """Never the test suite's database name: a test run in parallel keeps its own."""
    test = connection.settings_dict.setdefault("TEST", {})
    test["NAME"] = f"bench_safety_{connection.settings_dict['NAME']}"


def phone_photo(seed: int) -> bytes:
    """A 2048x1536 JPEG with noise (so it compresses like a photo) and GPS EXIF."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (256, 192), rng.randbytes(256 * 192 * 3))
    image = small.resize((2048, 1536), Image.Resampling.BILINEAR)
    exif = Image.Exif()
    exif[0x0110] = "BenchPhone"
    exif[0x8825] = {1: "N", 2: (35.0, 9.0, 31.0), 3: "E", 4: (129.0, 9.0, 37.0)}
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88, exif=exif)
    return buffer.getvalue()


def random_point_in_busan(rng: random.Random) -> tuple[float, float]:
    while True:
        lat = rng.uniform(BUSAN_BOX[0], BUSAN_BOX[2])
        long = rng.uniform(BUSAN_BOX[1], BUSAN_BOX[3])
        if geo.is_in_busan(lat=lat, long=long):
            return lat, long


BENCH_EMAIL = "bench@example.kr"
PHOTO_SEEDS = 4  # distinct photos, sent in turn


def _poster(photos: list[bytes]):
    """A signed-in citizen's browser (its own session) and a function filing one report with
    one of `photos` through it."""
    client = Client()
    client.force_login(User.objects.get(email=BENCH_EMAIL))
    url = reverse("safety:report-new")

    def submit(index: int, lat: float, long: float) -> None:
        upload = SimpleUploadedFile("photo.jpg", photos[index % len(photos)], "image/jpeg")
        response = client.post(
            url,
            {
                "service_code": "POTHOLE",
                "lat": f"{lat:.6f}",
                "long": f"{long:.6f}",
                "description": f"bench report {index}",
                "photos": [upload],
            },
        )
        if response.status_code != 302:
            raise SystemExit(f"submission {index}: {response.status_code}")
        # A browser follows the redirect, whose page shows (and so consumes) the "thank you"
        # message; unread, every later response re-encoded all earlier ones (the cookie grew,
        # then overflowed into the session, saved each request).
        client.cookies.pop("messages", None)

    return submit


def _submissions_run(submit, points, *, first_index: int = 0, profile: bool = False) -> dict:
    """Files one report per point through `submit`, after one unmeasured submission; returns
    the wall-clock span (monotonic, comparable between processes), each submission's latency
    and the CPU seconds this process and its PostgreSQL backend spent."""
    # One unmeasured submission first: a process's first request imports the views' modules
    # and builds the URL resolver (~1.5 s of CPU once per web worker, not per submission).
    submit(first_index - 1, *points[0])
    return _submissions_timed(submit, points, first_index=first_index, profile=profile)


def _submissions_timed(submit, points, *, first_index: int, profile: bool = False) -> dict:
    timings = []
    cpu = _cpu_reader()
    cpu_before = cpu()
    profiler = cProfile.Profile(time.process_time) if profile else None
    started = time.monotonic()
    if profiler:
        profiler.enable()
    for index, (lat, long) in enumerate(points, start=first_index):
        begin = time.perf_counter()
        submit(index, lat, long)
        timings.append(time.perf_counter() - begin)
    if profiler:
        profiler.disable()
    ended = time.monotonic()
    process_s, backend_s = (after - before for after, before in zip(cpu(), cpu_before, strict=True))
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(25)
    return {
        "started": started,
        "ended": ended,
        "timings": timings,
        "process_s": process_s,
        "backend_s": backend_s,
    }


def _figures(count: int, runs: list[dict], *, photo_bytes: int) -> dict:
    """Rate over the span from the first start to the last end, CPU per submission summed over
    the submitters (and their backends)."""
    timings = [timing for run in runs for timing in run["timings"]]
    elapsed = max(run["ended"] for run in runs) - min(run["started"] for run in runs)
    return {
        "count": count,
        "submitters": len(runs),
        "photo_bytes": photo_bytes,
        "per_s": count / elapsed,
        "p50_ms": statistics.median(timings) * 1000,
        "p95_ms": statistics.quantiles(timings, n=100)[94] * 1000,
        "process_ms": sum(run["process_s"] for run in runs) / count * 1000,
        "backend_ms": sum(run["backend_s"] for run in runs) / count * 1000,
    }


def _stored_check(expected: int) -> None:
    if Report.objects.filter(photos__isnull=False).count() != expected:
        raise SystemExit("not every submission stored its photo")


def bench_submissions(count: int, *, profile: bool = False) -> dict:
    """`count` reports, each with one 2048x1536 JPEG, POSTed to the report form by one process;
    `profile`: prints the cProfile (CPU time) of the measured submissions."""
    User.objects.create_user(email=BENCH_EMAIL, password=None)
    photos = [phone_photo(seed) for seed in range(PHOTO_SEEDS)]
    rng = random.Random(7)
    points = [random_point_in_busan(rng) for _ in range(count)]
    run = _submissions_run(_poster(photos), points, profile=profile)
    _stored_check(count + 1)
    return _figures(count, [run], photo_bytes=len(photos[0]))


def _submitter(index, points, photos, ready, go, results) -> None:
    """One submitter process (forked: the settings, the test database's name and the photo
    storage are the parent's): its own database connection and session, one unmeasured
    submission, then its share of the reports once every submitter is ready."""
    try:
        submit = _poster(photos)
        submit(-1 - index, *points[0])
        ready.put(index)
        go.wait()
        run = _submissions_timed(submit, points, first_index=index * 1_000_000)
        results.put((index, run))
    except BaseException as error:  # noqa: BLE001 - told to the parent, which stops the bench
        results.put((index, f"{type(error).__name__}: {error}"))
    finally:
        connections.close_all()


def bench_submissions_parallel(count: int, submitters: int) -> dict:
    """`count` reports POSTed as in `bench_submissions`, split over `submitters` processes at
    once, each with its own connection and session, as N web processes serve N citizens."""
    import multiprocessing

    photos = [phone_photo(seed) for seed in range(PHOTO_SEEDS)]
    rng = random.Random(17)
    points = [random_point_in_busan(rng) for _ in range(count)]
    shares = [points[index::submitters] for index in range(submitters)]
    before = Report.objects.filter(photos__isnull=False).count()
    # Nothing open is shared with the children: each opens its own connections after the fork
    # (redis-py makes its pools again in a forked process).
    connections.close_all()
    context = multiprocessing.get_context("fork")
    ready, results, go = context.Queue(), context.Queue(), context.Event()
    processes = [
        context.Process(target=_submitter, args=(index, share, photos, ready, go, results))
        for index, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    try:
        for _ in processes:
            ready.get(timeout=600)
        go.set()
        runs = []
        for _ in processes:
            index, run = results.get(timeout=3600)
            if isinstance(run, str):
                raise SystemExit(f"submitter {index}: {run}")
            runs.append(run)
    finally:
        go.set()
        for process in processes:
            process.join(timeout=60)
    _stored_check(before + count + submitters)
    return _figures(count, runs, photo_bytes=len(photos[0]))


def submissions_line(sub: dict) -> str:
    who = "1 process" if sub["submitters"] == 1 else f"{sub['submitters']} processes"
    return (
        f"submissions {sub['count']:>7,}  {sub['per_s']:>8.1f}/s  p50 {sub['p50_ms']:.1f} ms  "
        f"p95 {sub['p95_ms']:.1f} ms  (photo {sub['photo_bytes'] / 1024:.0f} KiB, 2048x1536, "
        f"{who})  CPU/submission {sub['process_ms']:.1f} ms + backend {sub['backend_ms']:.1f} ms"
    )


def _cpu_reader():
    """A function giving (this process's, its database connection's backend's) CPU seconds."""
    connection.ensure_connection()
    backend = backend_cpu_reader(connection)
    return lambda: (proc_cpu_seconds(os.getpid()), backend())


def status_mb(key: str) -> float:
    match = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) / 1024


def reset_peak() -> bool:
    """Resets the process's peak resident set (VmHWM) to its current one; False if the kernel
    does not let us (then the peaks printed are since the process started)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def big_jpeg(seed: int) -> bytes:
    """4608x3456 (15.9 Mpx, a 16 MP phone camera), noise smoothed like a photo."""
    rng = random.Random(seed)
    small = Image.frombytes("RGB", (288, 216), rng.randbytes(288 * 216 * 3))
    buffer = io.BytesIO()
    small.resize((4608, 3456), Image.Resampling.BILINEAR).save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def flat_png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 90, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def photo_cases() -> list[tuple[str, list[bytes], bool]]:
    """(name, the five photos of one report, accepted?)."""
    budget_png = flat_png(3999, 4001)
    issue_png = flat_png(6300, 6300)
    return [
        ("5 JPEG 4608x3456", [big_jpeg(seed) for seed in range(5)], True),
        ("5 PNG 3999x4001", [budget_png] * 5, True),
        ("5 PNG 6300x6300", [issue_png] * 5, False),
    ]


def submit_with_photos(*, category, user, uploads: list[bytes], accepted: bool) -> float:
    rng = random.Random(len(uploads[0]))
    lat, long = random_point_in_busan(rng)
    begin = time.perf_counter()
    try:
        services.report_create(
            category=category,
            lat=lat,
            long=long,
            description="bench photos",
            photo_uploads=uploads,
            reporter=user,
        )
    except ValidationError as error:
        if accepted:
            raise
        codes = [item.code for item in error.error_dict["photos"]]
        if codes != ["too_many_pixels"]:
            raise SystemExit(f"refused for the wrong reason: {codes}") from None
    else:
        if not accepted:
            raise SystemExit("an oversized photo was accepted")
    return time.perf_counter() - begin


def submit_at_once(count: int, **submission) -> list[float]:
    """`count` reports at the same time, each from its own thread (and database connection)."""
    timings: list[float] = []

    def one():
        try:
            timings.append(submit_with_photos(**submission))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if len(timings) != count:
        raise SystemExit("a concurrent report failed")
    return timings


def bench_photos(reports: int) -> list[dict]:
    """Each case sequential (`reports` reports), then three reports at once in threads."""
    user = User.objects.get(email="bench@example.kr")
    category = Category.objects.get(service_code="POTHOLE")
    max_pixels, decodes, _wait = services.photo_policy()
    figures = []
    for name, uploads, accepted in photo_cases():
        for mode in ("sequential", "3 at once"):
            before_rows = Report.objects.count()
            exact = reset_peak()
            start_mb = status_mb("VmRSS")
            started = time.perf_counter()
            if mode == "sequential":
                timings = [
                    submit_with_photos(
                        category=category, user=user, uploads=uploads, accepted=accepted
                    )
                    for _ in range(reports)
                ]
            else:
                timings = submit_at_once(
                    3, category=category, user=user, uploads=uploads, accepted=accepted
                )
            wall = time.perf_counter() - started
            stored = Report.objects.count() - before_rows
            if stored != (len(timings) if accepted else 0):
                raise SystemExit(f"{name}: {stored} reports stored")
            figures.append(
                {
                    "case": name,
                    "mode": mode,
                    "accepted": accepted,
                    "reports": len(timings),
                    "photo_kib": sum(len(upload) for upload in uploads) / 5 / 1024,
                    "per_report_s": statistics.mean(timings),
                    "wall_s": wall,
                    "peak_mb": status_mb("VmHWM") - start_mb,
                    "exact": exact,
                    "budget": max_pixels,
                    "decodes": decodes,
                }
            )
    return figures


def points_in_busan(count: int, seed: int) -> list[tuple[float, float]]:
    """Uniform random points inside the boundary, tested in bulk with shapely."""
    import numpy
    import shapely

    polygon = basemap.busan_area()
    generator = numpy.random.default_rng(seed)
    found: list[tuple[float, float]] = []
    while len(found) < count:
        lats = generator.uniform(BUSAN_BOX[0], BUSAN_BOX[2], count)
        longs = generator.uniform(BUSAN_BOX[1], BUSAN_BOX[3], count)
        inside = shapely.contains_xy(polygon, longs, lats)
        found.extend(zip(lats[inside].tolist(), longs[inside].tolist(), strict=True))
    return found[:count]


def fill_map(total: int) -> float:
    """Bulk rows (no photos, no anchoring): the map query reads only these columns."""
    categories = list(Category.objects.all())
    statuses = list(Report.Status.values)
    rng = random.Random(11)
    now = timezone.now()
    started = time.perf_counter()
    points = iter(points_in_busan(total, seed=11))
    remaining = total
    while remaining:
        batch = []
        for _ in range(min(INSERT_CHUNK, remaining)):
            lat, long = next(points)
            category = rng.choice(categories)
            created = now - timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
            batch.append(
                Report(
                    category=category,
                    lat=lat,
                    long=long,
                    district=geo.district_of(lat=lat, long=long),
                    description="",
                    status=rng.choice(statuses),
                    created_at=created,
                    updated_at=created,
                    due_at=created + timedelta(hours=category.target_hours),
                )
            )
        with transaction.atomic():
            Report.objects.bulk_create(batch)
        remaining -= len(batch)
    return time.perf_counter() - started


def bench_map(queries: int) -> dict:
    rng = random.Random(13)
    codes = ["", *Category.objects.values_list("service_code", flat=True)]
    statuses = ["", "open", "closed", "resolved"]
    client = Client()
    url = reverse("safety-api:map")
    timings, sizes, clustered = [], [], 0
    cpu = _cpu_reader()
    cpu_before = cpu()
    for _ in range(queries):
        # Viewports from ~1 km (street) to ~40 km (the whole city) wide.
        width = rng.choice([0.01, 0.03, 0.1, 0.45])
        lat, long = random_point_in_busan(rng)
        bbox = (long - width / 2, lat - width / 2.6, long + width / 2, lat + width / 2.6)
        query = {
            "bbox": ",".join(f"{value:.6f}" for value in bbox),
            "service_code": rng.choice(codes),
            "status": rng.choice(statuses),
        }
        begin = time.perf_counter()
        response = client.get(url, query)
        timings.append(time.perf_counter() - begin)
        if response.status_code != 200:
            raise SystemExit(f"map: {response.status_code} for {query}")
        sizes.append(len(response.content))
        clustered += response.content.startswith(b'{"type":"FeatureCollection","clustered":true')
    process_s, backend_s = (after - before for after, before in zip(cpu(), cpu_before, strict=True))
    return {
        "queries": queries,
        "p50_ms": statistics.median(timings) * 1000,
        "p95_ms": statistics.quantiles(timings, n=100)[94] * 1000,
        "max_ms": max(timings) * 1000,
        "mean_kib": statistics.mean(sizes) / 1024,
        "clustered": clustered,
        "process_ms": process_s / queries * 1000,
        "backend_ms": backend_s / queries * 1000,
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer submissions and queries")
    parser.add_argument(
        "--submissions-only",
        action="store_true",
        help="the photo submissions alone (no photo memory cases, no map); headline "
        "photos_per_s and submission_cpu_ms",
    )
    parser.add_argument(
        "--submitters",
        type=int,
        default=1,
        metavar="N",
        help="also file the submissions from N processes at once (headline photos_per_s_Np, "
        "the whole rate, and submission_cpu_ms_Np); default 1: the one process alone",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print the cProfile (CPU time) of the one-process submissions",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.submitters < 1:
        raise SystemExit("--submitters is at least 1")
    submissions = 100 if args.quick else 1_000
    photo_reports = 3 if args.quick else 10
    queries = 300 if args.quick else 2_000
    logging.getLogger("busanhub").setLevel(logging.WARNING)
    use_own_test_database()
    # Requests come from Django's test client; the per-user and per-client rate limits are off
    # (they bound one citizen or client, not what the server can do).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.SAFETY_RATE_LIMITS = {"report_user": (10**9, 3600), "open311_key": (10**9, 60)}
    # Three reports of five 16 Mpx photos at once on a shared 2-CPU machine can wait more than
    # the 10 s a citizen is kept waiting (then 503): the bench measures time and memory.
    settings.SAFETY_PHOTO_DECODE_WAIT_S = 300
    SimpleRateThrottle.THROTTLE_RATES = {
        **SimpleRateThrottle.THROTTLE_RATES,
        "anon": None,
        "user": None,
    }
    started = time.perf_counter()
    # The photos' files (docs/adr/0006) go to a folder of this run, removed at its end.
    photo_folder = tempfile.mkdtemp(prefix="bench-safety-photos-")
    photo_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": photo_folder},
    }
    storages_override = override_settings(
        STORAGES={**settings.STORAGES, "safety_photos": photo_storage}
    )
    storages_override.enable()
    old_config = setup_databases(
        verbosity=0, interactive=False, keepdb=False, serialized_aliases=set()
    )
    try:
        seed_catalogue()
        out(
            f"# {platform.python_implementation()} {platform.python_version()}, "
            f"PostgreSQL {connection.cursor().connection.server_version}, {os.cpu_count()} CPUs"
        )
        sub = bench_submissions(submissions, profile=args.profile)
        out(submissions_line(sub))
        parallel = ""
        if args.submitters > 1:
            many = bench_submissions_parallel(submissions, args.submitters)
            out(submissions_line(many))
            suffix = f"_{args.submitters}p"
            parallel = (
                f" photos_per_s{suffix}={many['per_s']:.0f}"
                f" submission_cpu_ms{suffix}={many['process_ms'] + many['backend_ms']:.1f}"
            )
        if args.submissions_only:
            out(f"load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
            out(
                f"photos_per_s={sub['per_s']:.0f} "
                f"submission_cpu_ms={sub['process_ms'] + sub['backend_ms']:.1f}{parallel}"
            )
            return
        photo_figures = bench_photos(photo_reports)
        first = photo_figures[0]
        out(
            f"photos      budget {first['budget']:,} px, {first['decodes']} decodes at once per "
            f"process, Pillow {Image.__version__}"
            + ("" if first["exact"] else " (peaks since start: /proc/self/clear_refs refused)")
        )
        for item in photo_figures:
            out(
                f"photos      {item['case']:<17} {item['mode']:<10} "
                f"{'stored ' if item['accepted'] else 'refused'} x{item['reports']}  "
                f"{item['per_report_s'] * 1000:>7.0f} ms/report  wall {item['wall_s']:.2f} s  "
                f"peak +{item['peak_mb']:.0f} MB  ({item['photo_kib']:.0f} KiB/photo)"
            )
        worst = max(
            item["peak_mb"]
            for item in photo_figures
            if item["accepted"] and item["mode"] != "sequential"
        )
        fill_s = fill_map(MAP_REPORTS - Report.objects.count())
        services.map_cells_rebuild()  # bulk rows bypass the services that count them
        with connection.cursor() as cursor:
            # Statistics and the visibility map (index-only scans of the cells), as autovacuum
            # makes them on a server; the CI cluster runs with autovacuum off.
            cursor.execute("VACUUM ANALYZE safety_report, safety_mapcell")
        out(f"map rows    {Report.objects.count():>7,}  inserted in {fill_s:.1f} s")
        figures = bench_map(queries)
        out(
            f"map request {figures['queries']:>7,}  p50 {figures['p50_ms']:.2f} ms  "
            f"p95 {figures['p95_ms']:.2f} ms  max {figures['max_ms']:.2f} ms  "
            f"CPU/request {figures['process_ms']:.2f} ms + backend {figures['backend_ms']:.2f} ms  "
            f"mean {figures['mean_kib']:.1f} KiB, {figures['clustered']} clustered"
        )
    finally:
        teardown_databases(old_config, verbosity=0)
        storages_override.disable()
        shutil.rmtree(photo_folder, ignore_errors=True)
    out(f"elapsed {time.perf_counter() - started:.1f} s")
    out(f"load average {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    out(
        f"photos_per_s={sub['per_s']:.0f} map_p95_ms={figures['p95_ms']:.0f} "
        f"photos_peak_mb={worst:.0f}{parallel}"
    )


if __name__ == "__main__":
    main()
