"""Partners: building a referral package for a case with 1 GB of evidence (partners.sending,
signed and age-encrypted, streamed) against the evidence export of the same case as a BagIt
directory (evidence.export.build_package); peak memory of the package's process.

As the evidence benchmark: worker processes (`python -m bench.partners ...`) on a throwaway
instance in the benchmark's temporary directory on disk, removed at the end; the partner is
this instance itself (its own card), which changes nothing in the work. BENCH_PARTNERS_GB sets
the evidence's size in GB of 10^9 bytes (default 1); skipped when the disk lacks three times
that. Goals: the package at ≥ 0.5 of the export's speed, its process under 200 MB.
"""

import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.evidence import (
    ITEM_MAX,
    MEMORY_GOAL,
    PASSPHRASE,
    _bench_parent,
    _filesystem,
    _Generated,
    _mib,
    _mib_s,
    _open,  # unseal the bench instance; its member "bench"
    _PeakRss,
    _Steps,
)
from bench.report import ratio_line, table
from bench.workers import run_worker

SIZE_GB = float(os.environ.get("BENCH_PARTNERS_GB", "1"))
SPEED_GOAL = 0.5  # package MiB/s ÷ evidence export MiB/s
PARTNER = "Bench partner group"


def _worker(folder: Path, *args) -> dict:
    blobs = {"WAYSTATION_BLOB_STORE": "local", "WAYSTATION_BLOB_DIR": str(folder / "blobs")}
    _progress, figures = run_worker(
        "bench.partners", *args, data_dir=folder / "instance", env=blobs
    )
    return figures


def run() -> None:
    parent = _bench_parent()
    kind, source = _filesystem(parent)
    total = int(SIZE_GB * 1e9)
    print(f"  data in {parent} ({kind} on {source})", flush=True)
    with tempfile.TemporaryDirectory(prefix="waystation-bench-partners-", dir=parent) as name:
        folder = Path(name)
        if shutil.disk_usage(folder).free < 3 * total:
            print(f"  SKIPPED: {SIZE_GB:g} GB needs {3 * total / 1e9:.0f} GB free on {parent}")
            return
        steps = _Steps()
        case = _worker(folder, "setup")["case"]
        count = math.ceil(total / ITEM_MAX)
        filled = _worker(folder, "fill", case, total, count)
        steps.done(f"ingested {total / 1e9:.1f} GB at {_mib_s(total, filled['seconds']):.0f} MiB/s")
        exports, packages = [], []
        for round_ in range(2):  # interleaved, best of each
            exports.append(_worker(folder, "export", case, folder / f"export-{round_}"))
            shutil.rmtree(folder / f"export-{round_}")
            packages.append(_worker(folder, "send", case, folder / f"package-{round_}"))
            (folder / f"package-{round_}").unlink()
        steps.done("exported and packed twice each")
    export_best = min(f["seconds"] for f in exports)
    package_best = min(f["seconds"] for f in packages)
    peak = max(f["process_peak"] for f in packages)
    growth = max(f["rss_growth"] for f in packages)
    table(
        [
            (
                "evidence export, BagIt directory (build_package)",
                "  ".join(f"{_mib_s(total, f['seconds']):5.0f}" for f in exports)
                + f"   best {_mib_s(total, export_best):5.0f} MiB/s",
            ),
            (
                "partner package, signed + age (case_send)",
                "  ".join(f"{_mib_s(total, f['seconds']):5.0f}" for f in packages)
                + f"   best {_mib_s(total, package_best):5.0f} MiB/s",
            ),
            ("partner package: process peak, growth", f"{_mib(peak)}, {_mib(growth)}"),
        ]
    )
    print(ratio_line("package / evidence export", export_best / package_best, SPEED_GOAL))
    verdict = "PASS" if peak < MEMORY_GOAL else "BELOW GOAL"
    print(
        f"  partner package peak memory, {total / 1e9:.1f} GB: {peak / 1e6:.0f} MB "
        f"(goal < 200 MB) {verdict}"
    )


# --- the workers ------------------------------------------------------------------------------


def _setup() -> dict:
    from django.conf import settings

    from waystation.accounts.models import User
    from waystation.accounts.roles import Role
    from waystation.cases.services import case_create
    from waystation.core.instance import instance_create
    from waystation.partners.card import this_card
    from waystation.partners.models import Partner

    instance_create(settings.DATA_DIR, passphrase=PASSPHRASE, label="bench")
    coordinator = User.objects.create_user("bench", roles=[Role.COORDINATOR])
    card = this_card()
    Partner.objects.create(
        name=PARTNER,
        card=card.to_text(),
        signing_key=card.signing_key,
        age_recipient=card.age_recipient,
        instance_id=card.instance_id,
        fingerprint=card.fingerprint,
    )
    return {"case": str(case_create(actor=coordinator).pk)}


def _fill(case_id: str, total: str, count: str) -> dict:
    from waystation.cases.models import Case
    from waystation.evidence import services

    coordinator = _open()
    case = Case.objects.get(pk=case_id)
    total, count = int(total), int(count)
    started = time.perf_counter()
    for index in range(count):
        size = total // count + (total % count if index == count - 1 else 0)
        services.item_ingest_stream(
            actor=coordinator,
            case=case,
            source=_Generated(size),
            original_name=f"video-{index}.bin",
            origin="open",  # the gate lets it go anywhere: the bench measures the copy
        )
    return {"seconds": time.perf_counter() - started}


def _export(case_id: str, out: str) -> dict:
    from waystation.cases.models import Case
    from waystation.evidence import export, gate
    from waystation.evidence.models import Recipient

    coordinator = _open()
    case = Case.objects.get(pk=case_id)
    with _PeakRss() as rss:
        started = time.perf_counter()
        export.build_package(
            actor=coordinator,
            case=case,
            addressee=gate.Addressee.of(Recipient.PARTNER, PARTNER),
            out=Path(out),
        )
        seconds = time.perf_counter() - started
    return {"seconds": seconds, **rss.figures()}


def _send(case_id: str, out: str) -> dict:
    from waystation.cases.models import Case
    from waystation.evidence.models import Item
    from waystation.partners import sending
    from waystation.partners.models import Partner

    coordinator = _open()
    case = Case.objects.get(pk=case_id)
    items = tuple(str(pk) for pk in Item.objects.filter(case=case).values_list("pk", flat=True))
    with _PeakRss() as rss:
        started = time.perf_counter()
        sending.case_send(
            actor=coordinator,
            case=case,
            partner=Partner.objects.get(name=PARTNER),
            choice=sending.Choice(kind="referral", care=True, item_ids=items),
            out=Path(out),
        )
        seconds = time.perf_counter() - started
    return {"seconds": seconds, **rss.figures()}


def main(command: str, *args: str) -> None:
    import django

    django.setup()
    workers = {"setup": _setup, "fill": _fill, "export": _export, "send": _send}
    print(json.dumps(workers[command](*args)))


if __name__ == "__main__":
    main(*sys.argv[1:])
