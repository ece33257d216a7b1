"""Waystation's settings plus a bare "hello" view, the baseline for the web benchmark."""

from waystation.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
