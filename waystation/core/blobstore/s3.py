"""Any S3-compatible object store (MinIO, SeaweedFS, a provider). Blobs are encrypted before
they leave this machine. Imported only when the instance is configured for S3 (see
``blob_store``): boto3 takes one to two seconds to import."""

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .format import BlobMissing
from .seekable import RandomAccess
from .store import BLOB_NAME, BlobStore, StoredObject, StoreUnreachable

# A store that does not answer within this many seconds is reported, not waited for (boto3's
# default is a minute per attempt).
CONNECT_TIMEOUT = 10


class _S3RandomAccess:
    """Ranged GETs: one request per chunk read (the reader keeps the last few)."""

    def __init__(self, client, bucket: str, name: str, size: int):
        self._client, self._bucket, self._name, self.size = client, bucket, name, size

    def read_at(self, offset: int, length: int) -> bytes:
        length = min(length, self.size - offset)
        if length <= 0:
            return b""
        answer = self._client.get_object(
            Bucket=self._bucket, Key=self._name, Range=f"bytes={offset}-{offset + length - 1}"
        )
        return answer["Body"].read()

    def close(self) -> None:
        pass


class S3BlobStore(BlobStore):
    """Any S3-compatible store. Blobs are encrypted before they leave this machine; the spool
    file is uploaded with boto3's managed (multipart) transfer, streamed from disk."""

    def __init__(self, client, bucket: str, spool_dir: Path):
        self.client, self.bucket, self.spool = client, bucket, Path(spool_dir)

    def _spool_dir(self) -> Path:
        return self.spool

    def _install(self, spool_path: Path, name: str) -> None:
        self.client.upload_file(str(spool_path), self.bucket, name)

    def _open_stored(self, name: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=name)["Body"]
        except self.client.exceptions.NoSuchKey:
            raise BlobMissing(name) from None

    def _head(self, name: str) -> dict | None:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise

    def _open_random(self, name: str) -> RandomAccess:
        head = self._head(name)
        if head is None:
            raise BlobMissing(name)
        return _S3RandomAccess(self.client, self.bucket, name, int(head["ContentLength"]))

    def exists(self, name: str) -> bool:
        return self._head(name) is not None

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=name)

    def where(self) -> str:
        return f"the bucket {self.bucket} at {self.client.meta.endpoint_url}"

    def check(self) -> None:
        """The bucket exists and these keys may use it (HEAD on the bucket), else one line
        saying which of the settings to look at."""
        endpoint, bucket = self.client.meta.endpoint_url, self.bucket
        try:
            self.client.head_bucket(Bucket=bucket)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in {"404", "NoSuchBucket", "NotFound"}:
                raise StoreUnreachable(
                    f"the bucket {bucket!r} does not exist at {endpoint}: create it, or set "
                    f"WAYSTATION_S3_BUCKET to the one to use"
                ) from None
            if code in {"401", "403", "AccessDenied", "Forbidden", "InvalidAccessKeyId"}:
                raise StoreUnreachable(
                    f"the S3 store at {endpoint} refuses these keys the bucket {bucket!r}: check "
                    f"WAYSTATION_S3_ACCESS_KEY and WAYSTATION_S3_SECRET_KEY"
                ) from None
            raise StoreUnreachable(
                f"the S3 store at {endpoint} answered {code or 'an error'} for the bucket "
                f"{bucket!r}"
            ) from None
        except BotoCoreError as error:
            raise StoreUnreachable(
                f"cannot reach the S3 store at {endpoint} (WAYSTATION_S3_ENDPOINT): {error}"
            ) from None

    def objects(self) -> Iterator[StoredObject]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        for page in pages:
            for item in page.get("Contents", []):
                if BLOB_NAME.match(item["Key"]):
                    modified = item["LastModified"].timestamp()
                    yield StoredObject(item["Key"], int(item["Size"]), modified)

    def install_stored(self, name: str, source: BinaryIO) -> None:
        """Streamed with boto3's managed (multipart) transfer, never whole in memory."""
        self.client.upload_fileobj(source, self.bucket, name)


def s3_store(config: dict, spool_dir: Path) -> S3BlobStore:
    """The store of ``settings.BLOB_STORE`` when its backend is "s3"."""
    client = boto3.client(
        "s3",
        endpoint_url=config["endpoint_url"] or None,
        aws_access_key_id=config["access_key"],
        aws_secret_access_key=config["secret_key"],
        region_name=config["region"] or "us-east-1",
        config=Config(connect_timeout=CONNECT_TIMEOUT),
    )
    return S3BlobStore(client, config["bucket"], spool_dir)
