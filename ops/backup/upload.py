"""A byte stream of unknown length into one S3 object, as a multipart upload with fixed-size parts.

Memory stays bounded whatever the stream's size: at most `part_size * (concurrency + 2)` bytes are held
(one part being read, `concurrency` parts uploading, one waiting). The SHA-256 is computed as the bytes
pass, so the checksum describes exactly what was uploaded. The upload is aborted unless `complete()` is
called, so a failed or interrupted run leaves no object behind (and S3 bills no orphaned parts).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from ops.backup.errors import BackupError
from ops.progress import Readable

MIB = 1024 * 1024
DEFAULT_PART_SIZE = 8 * MIB
MIN_PART_SIZE = 5 * MIB  # S3's floor for every part but the last
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadResult:
    sha256: str
    size_bytes: int
    parts: int


class MultipartStreamUpload:
    def __init__(
        self, s3: Any, bucket: str, key: str, *, part_size: int = DEFAULT_PART_SIZE, concurrency: int = 2
    ) -> None:
        if part_size < MIN_PART_SIZE:
            raise BackupError(f"part size {part_size} is below S3's minimum of {MIN_PART_SIZE} bytes")
        self._s3, self._bucket, self._key = s3, bucket, key
        self._part_size, self._concurrency = part_size, max(1, concurrency)
        self._upload_id: str | None = None
        self._etags: dict[int, str] = {}
        self._failure: BaseException | None = None
        self._sent: UploadResult | None = None
        self._completed = False

    def __enter__(self) -> MultipartStreamUpload:
        self._upload_id = self._s3.create_multipart_upload(Bucket=self._bucket, Key=self._key)["UploadId"]
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._completed:
            self.abort()

    def send(self, stream: Readable) -> UploadResult:
        """Read `stream` to its end, uploading it part by part. Does not complete the upload."""
        digest = hashlib.sha256()
        size = 0
        parts: queue.Queue[tuple[int, bytes] | None] = queue.Queue(maxsize=1)
        workers = [
            threading.Thread(target=self._upload_parts, args=(parts,), daemon=True) for _ in range(self._concurrency)
        ]
        for worker in workers:
            worker.start()
        number = 0
        try:
            while self._failure is None:
                chunk = _read_exactly(stream, self._part_size)
                if not chunk and number > 0:
                    break
                number += 1
                digest.update(chunk)
                size += len(chunk)
                self._put(parts, (number, chunk))
                del chunk
                if size % self._part_size:  # a short part is the last one
                    break
        finally:
            for _ in workers:
                self._put(parts, None, force=True)
            for worker in workers:
                worker.join()
        if self._failure is not None:
            raise BackupError(f"uploading s3://{self._bucket}/{self._key} failed: {self._failure}") from self._failure
        self._sent = UploadResult(sha256=digest.hexdigest(), size_bytes=size, parts=number)
        return self._sent

    def complete(self) -> UploadResult:
        if self._sent is None or self._upload_id is None:
            raise BackupError("complete() called before send(); nothing was uploaded")
        ordered = [{"PartNumber": n, "ETag": self._etags[n]} for n in sorted(self._etags)]
        self._s3.complete_multipart_upload(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, MultipartUpload={"Parts": ordered}
        )
        self._completed = True
        return self._sent

    def abort(self) -> None:
        if self._upload_id is None or self._completed:
            return
        try:
            self._s3.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            log.info("aborted the upload of s3://%s/%s", self._bucket, self._key)
        except Exception as exc:  # the bucket's lifecycle rule for incomplete uploads is the backstop
            log.warning("could not abort the upload of s3://%s/%s: %s", self._bucket, self._key, exc)
        self._upload_id = None

    def _put(
        self, parts: queue.Queue[tuple[int, bytes] | None], item: tuple[int, bytes] | None, *, force: bool = False
    ) -> None:
        # A worker that failed stops taking parts; never block forever on a queue nobody drains.
        while True:
            if self._failure is not None and not force:
                return
            try:
                parts.put(item, timeout=0.5)
                return
            except queue.Full:
                if force and self._failure is not None:
                    _drain(parts)

    def _upload_parts(self, parts: queue.Queue[tuple[int, bytes] | None]) -> None:
        while True:
            item = parts.get()
            if item is None:
                return
            if self._failure is not None:
                continue
            number, body = item
            try:
                answer = self._s3.upload_part(
                    Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=body
                )
                self._etags[number] = answer["ETag"]
            except BaseException as exc:
                self._failure = exc


def _read_exactly(stream: Readable, size: int) -> bytes:
    """Up to `size` bytes: pipes return short reads, and a part must be full unless it is the last."""
    first = stream.read(size)
    if not first or len(first) == size:  # buffered pipes fill the request: no copy needed
        return first
    buffer = bytearray(first)
    while len(buffer) < size:
        chunk = stream.read(size - len(buffer))
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)


def _drain(parts: queue.Queue[tuple[int, bytes] | None]) -> None:
    try:
        while True:
            parts.get_nowait()
    except queue.Empty:
        pass
