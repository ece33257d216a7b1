"""The simulated members of `python -m bench servers` (a locustfile, run by locust headless).

Each member takes one of the signed-in sessions the bench prepared (several members share a
coordinator's session, as tabs of one browser would) and, with a short pause between clicks,
opens the overview, case pages, adds notes, searches the case list and uploads evidence files.
Every answer is checked for what the member expects to see; anything else counts as an error.
The bench passes its settings in WAYSTATION_BENCH_FLEET (JSON): the CA file, the sessions'
cookies and the cases (address and codename).
"""

import datetime
import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

CONFIG = json.loads(os.environ.get("WAYSTATION_BENCH_FLEET", "{}"))
_sessions = itertools.count()
_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
WORDS = ["bus", "border", "passport", "medical", "family", "lawyer", "Tbilisi", "Astana"]


class Member(HttpUser):
    wait_time = between(0.2, 0.8)

    def on_start(self):
        self.client.verify = CONFIG["ca"]
        self.client.trust_env = False  # no REQUESTS_CA_BUNDLE, no outside proxy
        cookies = CONFIG["sessions"][next(_sessions) % len(CONFIG["sessions"])]
        for name, value in cookies.items():
            self.client.cookies.set(name, value, domain="127.0.0.1", secure=True)
        self.token = None
        self.overview()

    def _page(self, path: str, name: str, expect: str):
        with self.client.get(path, name=name, catch_response=True) as answer:
            if answer.status_code != 200 or expect not in answer.text:
                answer.failure(f"{answer.status_code}, without {expect!r}")
                return None
            token = _TOKEN.search(answer.text)
            if token:
                self.token = token.group(1)
            return answer

    def _post(self, path: str, name: str, data: dict, expect: int, files=None):
        data = {"csrfmiddlewaretoken": self.token, **data}
        headers = {"Referer": self.host + path, "Origin": self.host.rstrip("/")}
        with self.client.post(
            path,
            data=data,
            files=files,
            name=name,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != expect:
                answer.failure(f"{answer.status_code}, not {expect}")

    @task(4)
    def overview(self):
        self._page("/", "overview", "Overview")

    @task(4)
    def case_page(self):
        case = random.choice(CONFIG["cases"])
        self._page(case["path"], "case page", case["codename"])

    @task(2)
    def note(self):
        case = random.choice(CONFIG["cases"])
        if self._page(case["path"], "case page", case["codename"]):
            text = f"Load test note about the {random.choice(WORDS)}."
            self._post(f"{case['path']}add/note/", "note (post)", {"note-text": text}, 302)

    @task(2)
    def search(self):
        if self.token:
            word = random.choice(WORDS)
            self._post("/cases/", "search (post)", {"q": word}, 200)

    @task(1)
    def upload(self):
        case = random.choice(CONFIG["cases"])
        if self._page("/evidence/items/new/", "upload form", "files"):
            content = os.urandom(64 * 1024)
            self._post(
                "/evidence/items/new/",
                "upload (post, 64 KiB)",
                {
                    "case": case["codename"],
                    "acquired_on": datetime.date.today().isoformat(),
                    "acquired_how": CONFIG["acquired_how"],
                    "origin": "",
                },
                302,
                files={"files": ("photo.bin", content, "application/octet-stream")},
            )
