"""Resumable uploads of evidence over tus 1.0.0 (https://tus.io/protocols/resumable-upload):
the core protocol with the creation, termination and expiration extensions.

    OPTIONS /api/v1/uploads/        what this server speaks (Tus-Version, Tus-Max-Size, …)
    POST    /api/v1/uploads/        a new upload: Upload-Length, Upload-Metadata (case,
                                    filename; acquired_how, acquired_from, description)
    HEAD    /api/v1/uploads/<id>/   Upload-Offset: where to go on
    PATCH   /api/v1/uploads/<id>/   the next bytes (application/offset+octet-stream)
    DELETE  /api/v1/uploads/<id>/   cancel an unfinished upload

Plain Django views (ninja has no HEAD and wants to read the body itself), reached with a token
holding the evidence permission (``auth.token_view``); the OpenAPI description lists them from
hand-written path items (``openapi_paths``). The PATCH that brings the last byte answers with
``Waystation-Item``: the new item's id (``GET /api/v1/evidence/items/<id>``).
"""

import base64
import binascii

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.http import http_date
from django.utils.translation import gettext as _

from waystation.accounts.policy import Perm
from waystation.core.refusals import Forbidden, NotVisible

from . import uploads
from .auth import token_view

VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration"
OCTETS = "application/offset+octet-stream"
ITEM_HEADER = "Waystation-Item"


def _tus(response: HttpResponse) -> HttpResponse:
    response["Tus-Resumable"] = VERSION
    response["Cache-Control"] = "no-store"
    return response


def _answer(status: int, detail: str = "") -> HttpResponse:
    response = (
        JsonResponse({"detail": detail}, status=status) if detail else HttpResponse(status=status)
    )
    return _tus(response)


def _options() -> HttpResponse:
    response = _answer(204)
    response["Tus-Version"] = VERSION
    response["Tus-Extension"] = EXTENSIONS
    response["Tus-Max-Size"] = str(settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024)
    return response


def _wrong_version(request) -> HttpResponse | None:
    if request.headers.get("Tus-Resumable") == VERSION:
        return None
    response = _answer(412, _("Send Tus-Resumable: 1.0.0."))
    response["Tus-Version"] = VERSION
    return response


def _whole_number(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def _metadata(header: str) -> dict[str, str] | None:
    """Upload-Metadata: ``key base64value`` pairs separated by commas; None when malformed."""
    found = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _space, value = pair.partition(" ")
        try:
            found[key] = base64.b64decode(value, validate=True).decode("utf-8") if value else ""
        except (binascii.Error, UnicodeDecodeError):
            return None
    return found


def _state(response: HttpResponse, upload) -> HttpResponse:
    response["Upload-Length"] = str(upload.length)
    response["Upload-Expires"] = http_date(upload.expires_at.timestamp())
    if upload.item_id is not None:
        response[ITEM_HEADER] = str(upload.item_id)
    return response


@token_view(Perm.EVIDENCE_EDIT)
def upload_create(request):
    if request.method == "OPTIONS":
        return _options()
    if request.method != "POST":
        return _answer(405)
    if (refused := _wrong_version(request)) is not None:
        return refused
    length = _whole_number(request.headers.get("Upload-Length"))
    if length is None:
        return _answer(400, _("Send Upload-Length: the file's size in bytes."))
    metadata = _metadata(request.headers.get("Upload-Metadata", ""))
    if metadata is None:
        return _answer(400, _("Upload-Metadata is not key and base64 value pairs."))
    try:
        upload = uploads.upload_begin(
            actor=request.user,
            token=request.auth,
            codename=metadata.get("case", ""),
            length=length,
            filename=metadata.get("filename") or metadata.get("name", ""),
            acquired_how=metadata.get("acquired_how") or uploads.AcquiredHow.IN_PERSON,
            acquired_from=metadata.get("acquired_from", ""),
            description=metadata.get("description", ""),
        )
    except uploads.UploadRefused as refused:
        return _answer(refused.status, str(refused))
    response = _state(_answer(201), upload)
    response["Location"] = request.build_absolute_uri(
        reverse("api-v1:tus-upload", args=[upload.pk])
    )
    return response


@token_view(Perm.EVIDENCE_EDIT)
def upload_detail(request, pk):
    if request.method == "OPTIONS":
        return _options()
    if (refused := _wrong_version(request)) is not None:
        return refused
    try:
        upload = uploads.upload_for(request.user, pk)
        if request.method == "HEAD":
            offset = uploads.upload_offset(actor=request.user, upload=upload)
            response = _answer(200)
        elif request.method == "PATCH":
            response = _receive(request, upload)
            if response.status_code != 204:
                return response
            offset = upload.offset
        elif request.method == "DELETE":
            uploads.upload_terminate(actor=request.user, upload=upload)
            return _answer(204)
        else:
            return _answer(405)
    except NotVisible:
        return _answer(404, _("Not found."))
    except Forbidden:
        return _answer(403, _("Your role does not allow this."))
    except uploads.UploadRefused as refused:
        return _answer(refused.status, str(refused))
    response["Upload-Offset"] = str(offset)
    return _state(response, upload)


def _receive(request, upload) -> HttpResponse:
    if request.content_type != OCTETS:
        return _answer(415, _("Send the bytes as application/offset+octet-stream."))
    offset = _whole_number(request.headers.get("Upload-Offset"))
    if offset is None:
        return _answer(400, _("Send Upload-Offset: where these bytes go."))
    uploads.upload_receive(
        actor=request.user,
        upload=upload,
        offset=offset,
        body=request,
        body_length=_whole_number(request.META.get("CONTENT_LENGTH")),
    )
    return _answer(204)


def _header(description: str, *, required: bool = True) -> dict:
    return {"required": required, "schema": {"type": "string"}, "description": description}


def openapi_paths(prefix: str = "/api/v1") -> dict:
    """The tus endpoints as OpenAPI path items, for the description made by ninja."""
    tus = {"Tus-Resumable": _header("1.0.0")}
    answered = {
        "Tus-Resumable": {"schema": {"type": "string"}},
        "Upload-Offset": {"schema": {"type": "string"}},
        "Upload-Length": {"schema": {"type": "string"}},
        "Upload-Expires": {"schema": {"type": "string"}},
    }

    def parameters(headers: dict) -> list:
        return [{"in": "header", "name": name, **spec} for name, spec in headers.items()]

    refused = {
        code: {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code, text in {
            "400": "A header is missing or malformed, or the metadata is refused.",
            "401": "No valid token.",
            "403": "The token's scopes or the member's role do not allow adding evidence.",
            "404": "No such upload of this member (or no such case), or it has expired.",
            "409": "Upload-Offset is not where the upload stands, or it is complete.",
            "412": "Tus-Resumable is not 1.0.0.",
            "413": "Larger than the instance accepts, or past the upload's length.",
            "415": "The body is not application/offset+octet-stream.",
            "423": "Another request is writing this upload now.",
            "429": "Too many calls or unfinished uploads with this token.",
            "503": "The instance is sealed.",
        }.items()
    }
    security = [{"TokenAuth": []}]
    scope = {"x-waystation-scope": Perm.EVIDENCE_EDIT.value, "security": security}
    one = {
        "in": "path",
        "name": "pk",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
    return {
        f"{prefix}/uploads/": {
            "options": {
                "operationId": "tus_options",
                "summary": "What this tus server speaks",
                "tags": ["uploads"],
                "responses": {
                    "204": {
                        "description": "Tus-Version, Tus-Extension, Tus-Max-Size",
                        "headers": answered,
                    },
                    **refused,
                },
                **scope,
            },
            "post": {
                "operationId": "tus_create",
                "summary": "Begin a resumable upload of evidence (tus creation)",
                "description": (
                    "Upload-Metadata: case (codename, required), filename (required), "
                    "acquired_how, acquired_from, description; each value base64."
                ),
                "tags": ["uploads"],
                "parameters": parameters(
                    {
                        **tus,
                        "Upload-Length": _header("The file's size in bytes."),
                        "Upload-Metadata": _header("key base64value pairs", required=False),
                    }
                ),
                "responses": {
                    "201": {
                        "description": "Created: Location is the upload's URL.",
                        "headers": {"Location": {"schema": {"type": "string"}}, **answered},
                    },
                    **refused,
                },
                **scope,
            },
        },
        f"{prefix}/uploads/{{pk}}/": {
            "head": {
                "operationId": "tus_offset",
                "summary": "Where an upload stands (Upload-Offset)",
                "tags": ["uploads"],
                "parameters": [one, *parameters(tus)],
                "responses": {
                    "200": {
                        "description": "Upload-Offset and Upload-Length; "
                        "Waystation-Item once complete.",
                        "headers": answered,
                    },
                    **refused,
                },
                **scope,
            },
            "patch": {
                "operationId": "tus_append",
                "summary": "Send the next bytes of an upload",
                "tags": ["uploads"],
                "parameters": [
                    one,
                    *parameters(
                        {
                            **tus,
                            "Upload-Offset": _header("Where these bytes go: the offset HEAD said."),
                        }
                    ),
                ],
                "requestBody": {
                    "required": True,
                    "content": {OCTETS: {"schema": {"type": "string", "format": "binary"}}},
                },
                "responses": {
                    "204": {
                        "description": "Stored; the last byte makes the item "
                        "(Waystation-Item: its id).",
                        "headers": answered,
                    },
                    **refused,
                },
                **scope,
            },
            "delete": {
                "operationId": "tus_terminate",
                "summary": "Cancel an unfinished upload",
                "tags": ["uploads"],
                "parameters": [one, *parameters(tus)],
                "responses": {
                    "204": {"description": "Cancelled: its encrypted part is gone."},
                    **refused,
                },
                **scope,
            },
        },
    }
