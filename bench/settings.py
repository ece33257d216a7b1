"""Waystation's settings plus a bare "hello" view, the baseline for the web benchmark, and the
intake portal's limits lifted for the intake benchmark."""

from waystation.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

# The intake benchmark sends hundreds of requests an hour from one address: the portal's rate
# limits, not its work, would set the pace. Only the benchmark's server lifts them.
INTAKE_SUBMITS_PER_VISITOR = 1_000_000
INTAKE_SUBMITS_OVERALL = 1_000_000
INTAKE_MAX_FILE_MB = max(INTAKE_MAX_FILE_MB, 16)  # noqa: F405 (its 10 MB file must pass)
