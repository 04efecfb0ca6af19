"""The city's journeys for locust (run by bench/load.py, which writes the plan CITY_PLAN names).

Each simulated user takes its own sign-in from the plan (round robin per role): a session
cookie for pages and forms (with a CSRF cookie and header), a token for the API.

The users are locust's FastHttpUser (geventhttpclient): the load generator shares the machine
with the portal, and requests' HttpUser spent about 4 times the CPU per request (BENCHMARKS.md).
Their timeouts (60 s to connect and to read) are FastHttpUser's defaults.
"""

import io
import itertools
import json
import math
import os
import random
import uuid

from gevent.event import Event
from locust import FastHttpUser, between, events, task

PLAN = json.loads(open(os.environ["CITY_PLAN"]).read())  # noqa: SIM115, PTH123
COUNTERS = {role: itertools.count() for role in ("citizens", "students", "traders", "staff")}
# How many users the earlier levels of bench/load.py ran: this level's users start after theirs,
# so a sign-in's per-user throttles (the money scope: 30 a minute) do not carry over.
OFFSET = int(os.environ.get("CITY_SIGN_IN_OFFSET", "0"))
CLOSED = ("filled", "cancelled", "rejected")  # exchange.models.Order.Status, not active


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 140, 160)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


PHOTO = _jpeg()
# Once the run's time is up locust stops the users, aborting requests in flight: those come
# back with status 0 and are no answer of the server's, so they are not counted as errors.
STOPPING = Event()


@events.test_stopping.add_listener
def _stopping(**_kwargs):
    STOPPING.set()


def sign_in(user, role: str) -> dict:
    """The next sign-in of `role`, round robin, after those the earlier levels' users of the
    role took (OFFSET users in all, split by the classes' weights). With `--processes N` every
    locust process counts from 0: process i takes entries i, i + N, i + 2N, ..., so no two
    users share a sign-in (nor its per-user throttles) while there are enough of them."""
    options = getattr(user.environment, "parsed_options", None)
    processes = max(getattr(options, "processes", 0) or 1, 1)
    index = getattr(user.environment.runner, "worker_index", 0) or 0
    total = sum(cls.weight for cls in user.environment.user_classes) or 1
    start = math.ceil(OFFSET * type(user).weight / total)
    entries = PLAN[role]
    return entries[(start + next(COUNTERS[role]) * processes + index) % len(entries)]


def judge(response, ok) -> None:
    if response.status_code in ok:
        return
    if response.status_code == 0 and STOPPING.is_set():
        response.success()
    else:
        response.failure(f"{response.status_code} {response.text[:120]}")


class Signed(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 3)

    def on_start(self):
        self.me = sign_in(self, self.role)
        # Sent with every request (FastHttpUser has no per-user default headers); an explicit
        # Cookie header also wins over the cookies the server sets, as requests' did.
        self.signed = {
            "Cookie": f"sessionid={self.me['session']}; csrftoken={self.me['csrf']}",
            "X-CSRFToken": self.me["csrf"],
            "Referer": self.host + "/",
        }

    def page(self, path: str, name: str):
        with self.client.get(
            path, name=name, headers=self.signed, allow_redirects=False, catch_response=True
        ) as r:
            judge(r, (200,))

    def api(self, method: str, path: str, name: str, *, json_body=None, ok=(200, 201, 204)):
        headers = self.signed | {"Authorization": f"Token {self.me['token']}"}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        with self.client.request(
            method, path, name=name, json=json_body, headers=headers, catch_response=True
        ) as r:
            judge(r, ok)
            return r


class Citizen(Signed):
    role = "citizens"
    weight = 8
    filed = 0  # reports this user has filed (the instance's own once it files)

    @task(4)
    def browse(self):
        self.page("/", "page /")
        self.page("/me/", "page /me/")
        self.page("/vouchers/", "page /vouchers/")

    @task(2)
    def map(self):
        self.page("/safety/map/", "page /safety/map/")
        self.api("GET", "/api/v1/safety/map", "read safety map api")

    @task(3)
    def pay(self):
        self.api(
            "POST",
            "/api/v1/vouchers/payments/",
            "pay (api)",
            json_body={
                "merchant": random.choice(PLAN["merchants"]),
                "amount": random.randrange(10, 100) * 10,
            },
        )
        self.api("GET", "/api/v1/vouchers/wallet/", "read wallet api")

    @task(1)
    def report(self):
        # A citizen may file REPORT_LIMIT reports an hour (safety.throttle's report_user); a
        # load-test citizen files one every ~24 s, so past the limit it browses instead, as the
        # form's refusal would send a person elsewhere (a level is shorter than the hour).
        self.filed += 1
        if self.filed > PLAN["report_limit"]:
            self.browse()
            return
        with self.client.post(
            "/safety/report/",
            headers=self.signed,
            name="report (form, photo)",
            data={
                "service_code": "POTHOLE",
                "lat": f"{35.1580 + random.uniform(-0.003, 0.003):.6f}",
                "long": f"{129.0600 + random.uniform(-0.003, 0.003):.6f}",
                "description": "A pothole near the crossing (load test).",
                "csrfmiddlewaretoken": self.me["csrf"],
            },
            files={"photos": ("pothole.jpg", PHOTO, "image/jpeg")},
            allow_redirects=False,
            catch_response=True,
        ) as r:
            judge(r, (302,))

    @task(2)
    def verify(self):
        if PLAN["digests"]:
            self.page(f"/verify/{random.choice(PLAN['digests'])}", "page /verify/<digest>")


class Student(Signed):
    role = "students"
    weight = 3

    @task(3)
    def lesson(self):
        self.page(f"/education/courses/{self.me['course']}/", "page course")
        self.page(f"/education/lessons/{self.me['lesson']}/", "page lesson")

    @task(1)
    def quiz(self):
        started = self.api(
            "POST", f"/api/v1/education/lessons/{self.me['quiz']}/attempts/", "quiz start"
        )
        if started.status_code != 201:
            return
        attempt = started.json()
        answers = {}
        for question in attempt["questions"]:
            if question["kind"] == "numeric":
                answers[str(question["id"])] = 10
            else:
                answers[str(question["id"])] = [question["choices"][0]["id"]]
        self.api(
            "POST",
            f"/api/v1/education/attempts/{attempt['id']}/submit/",
            "quiz submit",
            json_body={"answers": answers},
        )


class Trader(Signed):
    role = "traders"
    weight = 2

    @task(2)
    def book(self):
        self.api("GET", f"/api/v1/exchange/markets/{PLAN['market']}/book/", "read book api")
        self.page(f"/exchange/markets/{PLAN['market']}/", "page trade")

    @task(2)
    def place_and_cancel(self):
        placed = self.api(
            "POST",
            "/api/v1/exchange/orders/",
            "order place",
            json_body={
                "market": PLAN["market"],
                "side": "buy",
                "type": "limit",
                "price": str(4_000_000 - random.randrange(1, 100) * 1_000),
                "quantity": str(random.randrange(2, 6) * 10**6),
            },
        )
        if placed.status_code == 201:
            self.cancel(placed.json()["id"])

    def cancel(self, order_id: str):
        """DELETE the order. The matcher may fill (or reject) it first: the API then refuses the
        cancel (400, code `not_open`, nothing changed), which is correct only if the order is
        really closed; that is checked with a GET before it counts as a success."""
        path = f"/api/v1/exchange/orders/{order_id}/"
        headers = self.signed | {"Authorization": f"Token {self.me['token']}"}
        with self.client.request(
            "DELETE", path, name="order cancel", headers=headers, catch_response=True
        ) as r:
            if r.status_code == 400 and "not_open" in r.text:
                state = self.client.get(path, name="order read (cancel refused)", headers=headers)
                if state.status_code == 200 and state.json()["status"] in CLOSED:
                    r.success()
                    return
            judge(r, (200, 202, 204))


class Partner(FastHttpUser):
    weight = 1
    wait_time = between(2, 5)

    @task
    def capture(self):
        partner = PLAN["partner"]
        events = [
            {
                "type": "ObjectEvent",
                "eventTime": "2026-11-20T09:00:00+09:00",
                "eventTimeZoneOffset": "+09:00",
                "action": "OBSERVE",
                "quantityList": [
                    {"epcClass": random.choice(partner["lgtins"]), "quantity": 5, "uom": "KGM"}
                ],
                "bizStep": "storing",
                "readPoint": {"id": partner["sgln"]},
                "bizLocation": {"id": partner["sgln"]},
            }
            for _ in range(10)
        ]
        document = {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-11-20T00:00:00Z",
            "epcisBody": {"eventList": events},
        }
        with self.client.post(
            "/epcis/capture",
            name="epcis capture",
            json=document,
            headers={"X-API-Key": partner["key"], "Content-Type": "application/ld+json"},
            catch_response=True,
        ) as r:
            judge(r, (201, 202))


class Staff(Signed):
    role = "staff"
    weight = 1

    @task
    def queues(self):
        role = self.me["role"]
        if role == "staff-safety":
            self.page("/admin/safety/report/?status__exact=submitted", "admin safety queue")
        elif role == "staff-vouchers":
            self.page("/admin/vouchers/payment/", "admin voucher payments")
        elif role == "staff-exchange":
            self.page("/admin/exchange/order/", "admin exchange orders")
        elif role == "staff-logistics":
            self.page("/admin/logistics/event/", "admin epcis events")
        else:
            self.page("/admin/education/enrollment/", "admin enrolments")
