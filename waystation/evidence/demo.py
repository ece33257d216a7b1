"""Demo testimonies, an event and a few small items, made through the services so that the
demo shows real hashes, custody chains and consent. The texts are in the demo's language (see
waystation.demo); the chat export stays in Russian, as the soldiers wrote it."""

import io
import json
import zipfile
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import pgettext
from PIL import ExifTags, Image

from . import services
from .models import ActType, DateCertainty, ItemOrigin, Recipient, WitnessRole


def _photo() -> bytes:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "DemoCam"
    exif[ExifTags.Base.DateTime] = "2026:03:14 07:12:00"
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (46.0, 51.0, 3.0), 3: "E", 4: (32.0, 59.0, 10.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (96, 110, 84)).save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _chat_export() -> bytes:
    messages = [
        {
            "id": 1,
            "type": "message",
            "date": "2026-03-13T21:04:11",
            "date_unixtime": "1773435851",
            "from": "Командир взвода",
            "text": "Завтра в 6:00 всех пленных к школе.",
        },
        {
            "id": 2,
            "type": "message",
            "date": "2026-03-14T08:30:02",
            "date_unixtime": "1773477002",
            "from": "Рядовой",
            "text": ["Сделано. ", {"type": "bold", "text": "Четверо."}],
        },
    ]
    result = {"name": "Взвод 3", "type": "private_group", "id": 42, "messages": messages}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "ChatExport_2026-03-20/result.json", json.dumps(result, ensure_ascii=False, indent=1)
        )
    return buffer.getvalue()


def demo_evidence(*, officer, case) -> None:
    today = timezone.localdate()
    event = services.event_record(
        actor=officer,
        act_type=ActType.EXECUTION_OF_PRISONERS,
        title=pgettext("demo", "Shooting of prisoners near the school, Posad-Pokrovske"),
        date_from=today - timedelta(days=262),
        date_certainty=DateCertainty.APPROXIMATE,
        place=pgettext("demo", "Posad-Pokrovske, Kherson region"),
        victims_count=4,
        victims_kind=pgettext("demo", "prisoners of war"),
        perpetrator_unit=pgettext("demo", "(unit number withheld in the demo)"),
    )
    services.testimony_record(
        actor=officer,
        case=case,
        statement=pgettext(
            "demo",
            "I saw four prisoners being taken behind the school. Then there were shots. The "
            "platoon commander wrote in the chat that it was “done”.",
        ),
        language=pgettext("demo", "Russian"),
        interpreter="",
        consent_scope=[Recipient.UN, Recipient.COURT],
        consent_body=pgettext("demo", "International Criminal Court"),
        events=[(event, WitnessRole.DIRECT)],
    )
    # He agrees, once, that the files he brought may go where his testimony may.
    services.person_consent_record(
        actor=officer,
        case=case,
        scope=[Recipient.UN, Recipient.COURT],
        courts=[pgettext("demo", "International Criminal Court")],
    )
    for name, data in (("IMG_0412.jpg", _photo()), ("ChatExport_2026-03-20.zip", _chat_export())):
        try:
            item = services.item_ingest_stream(
                actor=officer,
                case=case,
                source=io.BytesIO(data),
                original_name=name,
                acquired_from=pgettext("demo", "the witness"),
                origin=ItemOrigin.PERSON,
            )
        except services.EvidenceError:
            continue  # a demo without it is still a demo
        services.item_link_events(actor=officer, item=item, events=[event])
