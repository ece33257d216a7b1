"""schemathesis hooks for test_schemathesis: every generated call carries the token of the next
role in turn (WAYSTATION_TEST_TOKENS, comma-separated), so one run covers every role."""

import itertools
import os

import schemathesis

_TOKENS = itertools.cycle(os.environ.get("WAYSTATION_TEST_TOKENS", "").split(","))


@schemathesis.auth(refresh_interval=None)
class EveryRole:
    def get(self, case, ctx):
        return next(_TOKENS)

    def set(self, case, data, ctx):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
