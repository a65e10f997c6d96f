"""Uploads: presign, complete with an atomic quota, listings, deletes, the resolver, and every failure."""

from __future__ import annotations

import base64
import threading
import urllib.parse
from typing import Any

import boto3
import pytest

from apis.shared.aws import client_config, s3_client_config
from apis.shared.errors import ApisError, BadRequestError
from apis.shared.files import (
    USER_FILES_TABLE,
    FileLimits,
    FileNotReadyError,
    FileNotUploadedError,
    FileQuotaExceededError,
    FileResolver,
    FileStatus,
    FileTooLargeError,
    FileUploadService,
    InvalidFileTypeError,
    PresignRequest,
    StoredFileTooLargeError,
    TooManyFilesError,
    UploadNotFoundError,
    UploadRefusedError,
    read_object_within,
    resolve_mime_type,
)
from apis.shared.files.service import safe_filename
from apis.shared.pagination import InvalidCursorError
from tests.support.aws import REGION, table
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

BUCKET = "user-files-test"


@pytest.fixture
def s3(dynamodb) -> Any:
    client = boto3.client("s3", region_name=REGION, config=s3_client_config())
    client.create_bucket(Bucket=BUCKET)
    return client


def service_for(dynamodb, s3, **limits) -> FileUploadService:
    return FileUploadService(
        dynamodb, s3, table_name=table(dynamodb, "user-files", USER_FILES_TABLE), bucket=BUCKET,
        limits=FileLimits(**limits),
    )  # fmt: skip


@pytest.fixture
def files(dynamodb, s3) -> FileUploadService:
    return service_for(dynamodb, s3)


def presign(files: FileUploadService, user: str = "u1", session: str = "s1", name: str = "notes.txt", size: int = 5):
    return files.request_presigned_url(user, PresignRequest(session_id=session, filename=name, mime_type="text/plain",
                                                            size_bytes=size))  # fmt: skip


def upload(files: FileUploadService, s3, user: str = "u1", content: bytes = b"hello", **kwargs) -> str:
    response = presign(files, user, size=len(content), **kwargs)
    metadata = files.get_file(user, response.upload_id)
    s3.put_object(Bucket=BUCKET, Key=metadata.s3_key, Body=content, ContentType=metadata.mime_type)
    files.complete_upload(user, response.upload_id)
    return response.upload_id


@pytest.mark.parametrize(
    ("filename", "mime", "expected"),
    [
        ("a.pdf", "application/pdf", "application/pdf"),
        ("a.PDF", "application/octet-stream", "application/pdf"),
        ("photo.JPG", "", "image/jpeg"),
        ("notes.md", "application/octet-stream", "text/markdown"),
    ],
)
def test_types_by_mime_then_extension(filename: str, mime: str, expected: str) -> None:
    assert resolve_mime_type(filename, mime) == expected


def test_disallowed_types_and_sizes_are_400s(files: FileUploadService) -> None:
    with pytest.raises(InvalidFileTypeError) as wrong_type:
        request = PresignRequest(session_id="s", filename="run.exe", mime_type="application/x-msdownload", size_bytes=1)
        files.request_presigned_url("u1", request)
    assert wrong_type.value.status_code == 400 and "file type" in wrong_type.value.detail
    with pytest.raises(FileTooLargeError) as too_large:
        presign(files, size=4 * 1024 * 1024 + 1)
    assert "too large" in too_large.value.detail


@pytest.mark.parametrize(("raw", "safe"), [("C:\\fakepath\\a.pdf", "a.pdf"), ("../../x.txt", "x.txt"), ("..", "file"),
                                           ("a\x00b.txt", "ab.txt")])  # fmt: skip
def test_safe_filenames(raw: str, safe: str) -> None:
    assert safe_filename(raw) == safe


def test_presign_records_a_pending_upload_and_signs_its_content_type(files: FileUploadService) -> None:
    response = presign(files, name="My Notes.txt")
    metadata = files.get_file("u1", response.upload_id)
    assert metadata.status is FileStatus.PENDING
    assert metadata.s3_key == f"user-files/u1/s1/{response.upload_id}/My Notes.txt"
    query = urllib.parse.parse_qs(urllib.parse.urlparse(response.presigned_url).query)
    assert "content-type" in query["X-Amz-SignedHeaders"][0]
    assert query["X-Amz-Expires"] == ["900"]
    assert BUCKET in response.presigned_url


def test_complete_makes_the_file_ready_and_counts_it_once(files: FileUploadService, s3) -> None:
    upload_id = upload(files, s3, content=b"0123456789")
    assert files.get_file("u1", upload_id).status is FileStatus.READY
    again = files.complete_upload("u1", upload_id)
    assert again.status is FileStatus.READY and again.size_bytes == 10
    quota = files.get_user_quota("u1")
    assert (quota.used_bytes, quota.file_count, quota.max_bytes) == (10, 1, 1024 * 1024 * 1024)


def test_completing_before_the_upload_is_a_409_that_a_later_completion_gets_past(files: FileUploadService, s3) -> None:
    response = presign(files, size=5)
    for _ in range(2):
        with pytest.raises(FileNotUploadedError) as early:
            files.complete_upload("u1", response.upload_id)
        assert (early.value.status_code, early.value.code.value) == (409, "conflict")
        assert early.value.field == "uploadId" and "PUT the file" in early.value.detail
        assert files.get_file("u1", response.upload_id).status is FileStatus.PENDING
    s3.put_object(Bucket=BUCKET, Key=files.get_file("u1", response.upload_id).s3_key, Body=b"hello")
    completed = files.complete_upload("u1", response.upload_id)
    assert (completed.status, completed.size_bytes) == (FileStatus.READY, 5)
    assert files.complete_upload("u1", response.upload_id) == completed, "a repeat answers as the first time"
    quota = files.get_user_quota("u1")
    assert (quota.used_bytes, quota.file_count) == (5, 1)


def test_the_presigned_put_is_signed_for_the_declared_size_only(files: FileUploadService) -> None:
    response = presign(files, size=1234)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(response.presigned_url).query)
    # S3 computes the signature over the Content-Length the browser sends: any other size is refused.
    assert query["X-Amz-SignedHeaders"] == ["content-length;content-type;host"]


def stored(files: FileUploadService, s3, content: bytes, *, declared: int = 5, user: str = "u1") -> str:
    """A pending upload whose object holds ``content`` whatever size was declared."""
    response = presign(files, user, size=declared)
    s3.put_object(Bucket=BUCKET, Key=files.get_file(user, response.upload_id).s3_key, Body=content)
    return response.upload_id


def assert_refused_and_removed(files: FileUploadService, s3, upload_id: str, size: int) -> None:
    metadata = files.get_file("u1", upload_id)
    assert (metadata.status, metadata.size_bytes) == (FileStatus.FAILED, size)
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix=metadata.s3_key).get("KeyCount") == 0
    with pytest.raises(UploadRefusedError) as again:
        files.complete_upload("u1", upload_id)
    assert (again.value.status_code, again.value.code.value) == (409, "conflict")


def test_a_first_upload_over_the_file_limit_is_413_and_its_object_deleted(dynamodb, s3) -> None:
    # The probe: 500 bytes stored for a 5-byte declaration, a 10-byte file limit, a 100-byte quota.
    files = service_for(dynamodb, s3, max_file_bytes=10, user_quota_bytes=100)
    upload_id = stored(files, s3, b"x" * 500)
    with pytest.raises(StoredFileTooLargeError) as too_large:
        files.complete_upload("u1", upload_id)
    assert (too_large.value.status_code, too_large.value.code.value) == (413, "bad_request")
    assert too_large.value.detail == "file too large: 500 bytes stored, at most 10"
    assert_refused_and_removed(files, s3, upload_id, 500)
    quota = files.get_user_quota("u1")
    assert (quota.used_bytes, quota.file_count) == (0, 0)


def test_a_first_upload_over_the_quota_is_refused_with_the_quota_error(dynamodb, s3) -> None:
    files = service_for(dynamodb, s3, max_file_bytes=1000, user_quota_bytes=100)
    upload_id = stored(files, s3, b"x" * 500)
    with pytest.raises(FileQuotaExceededError) as over:
        files.complete_upload("u1", upload_id)
    assert over.value.status_code == 403
    assert over.value.metadata == {"currentUsage": 0, "maxAllowed": 100, "requiredSpace": 500}
    assert_refused_and_removed(files, s3, upload_id, 500)
    assert files.get_user_quota("u1").used_bytes == 0


def test_a_later_upload_over_the_remaining_quota_is_refused_and_removed(dynamodb, s3) -> None:
    files = service_for(dynamodb, s3, user_quota_bytes=100)
    upload(files, s3, content=b"x" * 60)
    upload_id = stored(files, s3, b"x" * 50, declared=5)
    with pytest.raises(FileQuotaExceededError) as over:
        files.complete_upload("u1", upload_id)
    assert over.value.metadata == {"currentUsage": 60, "maxAllowed": 100, "requiredSpace": 50}
    assert_refused_and_removed(files, s3, upload_id, 50)
    quota = files.get_user_quota("u1")
    assert (quota.used_bytes, quota.file_count) == (60, 1)


def test_the_quota_holds_at_presign_and_at_complete(dynamodb, s3) -> None:
    files = service_for(dynamodb, s3, user_quota_bytes=10)
    first = presign(files, size=6)
    second = presign(files, size=6)
    for response in (first, second):
        s3.put_object(Bucket=BUCKET, Key=files.get_file("u1", response.upload_id).s3_key, Body=b"x" * 6)
    files.complete_upload("u1", first.upload_id)
    with pytest.raises(FileQuotaExceededError) as over:
        files.complete_upload("u1", second.upload_id)
    assert over.value.status_code == 403 and over.value.code.value == "quota_exceeded"
    assert over.value.metadata == {"currentUsage": 6, "maxAllowed": 10, "requiredSpace": 6}
    with pytest.raises(FileQuotaExceededError):
        presign(files, size=5)
    assert files.get_user_quota("u1").used_bytes == 6


def test_concurrent_completions_cannot_exceed_the_quota(serial_dynamodb) -> None:
    from tests.support.aws import serial_moto_server

    with serial_moto_server() as url:
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=url, config=s3_client_config(addressing_style="path"))
        s3.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=url, config=client_config())
        files = service_for(dynamodb, s3, user_quota_bytes=50)
        uploads = []
        for _ in range(10):
            response = presign(files, size=10)
            s3.put_object(Bucket=BUCKET, Key=files.get_file("u1", response.upload_id).s3_key, Body=b"x" * 10)
            uploads.append(response.upload_id)
        outcomes: list[str] = []

        def complete(upload_id: str) -> None:
            try:
                files.complete_upload("u1", upload_id)
                outcomes.append("ready")
            except FileQuotaExceededError:
                outcomes.append("refused")

        threads = [threading.Thread(target=complete, args=(upload_id,)) for upload_id in uploads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert outcomes.count("ready") == 5 and outcomes.count("refused") == 5
        quota = files.get_user_quota("u1")
        assert (quota.used_bytes, quota.file_count) == (50, 5)


def test_concurrent_completions_of_one_upload_all_answer_ready_and_count_it_once(serial_dynamodb) -> None:
    from tests.support.aws import serial_moto_server

    with serial_moto_server() as url:
        s3 = boto3.client("s3", region_name=REGION, endpoint_url=url, config=s3_client_config(addressing_style="path"))
        s3.create_bucket(Bucket=BUCKET)
        dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=url, config=client_config())
        files = service_for(dynamodb, s3, user_quota_bytes=50)
        # Another user than the other tests': moto's state outlives each server.
        upload_id = stored(files, s3, b"x" * 10, declared=10, user="u-race")
        outcomes: list[object] = []

        def complete() -> None:
            try:
                outcomes.append(files.complete_upload("u-race", upload_id))
            except ApisError as exc:
                outcomes.append(exc)

        threads = [threading.Thread(target=complete) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert [(o.status, o.size_bytes) for o in outcomes] == [(FileStatus.READY, 10)] * 8  # type: ignore[attr-defined]
        quota = files.get_user_quota("u-race")
        assert (quota.used_bytes, quota.file_count) == (10, 1)


def test_delete_gives_the_quota_back(files: FileUploadService, s3) -> None:
    upload_id = upload(files, s3)
    files.delete_file("u1", upload_id)
    assert files.get_user_quota("u1").used_bytes == 0
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0
    with pytest.raises(UploadNotFoundError):
        files.delete_file("u1", upload_id)
    pending = presign(files)
    files.delete_file("u1", pending.upload_id)
    assert files.get_user_quota("u1").file_count == 0


def test_other_users_files_are_not_found(files: FileUploadService, s3) -> None:
    upload_id = upload(files, s3)
    with pytest.raises(UploadNotFoundError):
        files.get_file("u2", upload_id)
    with pytest.raises(UploadNotFoundError):
        files.delete_file("u2", upload_id)
    assert files.session_files("u2", "s1") == []


def test_listings(files: FileUploadService, s3) -> None:
    small = upload(files, s3, content=b"a", name="b.txt")
    big = upload(files, s3, content=b"abcdef", name="a.txt")
    other_session = upload(files, s3, content=b"abc", session="s2")
    presign(files)
    assert [f.upload_id for f in files.session_files("u1", "s1")] == [small, big]
    by_size = files.list_user_files("u1", sort_by="size", sort_order="desc", limit=2)
    assert [f.upload_id for f in by_size.files] == [big, other_session] and by_size.total_count == 3
    rest = files.list_user_files("u1", sort_by="size", sort_order="desc", limit=2, cursor=by_size.next_cursor)
    assert [f.upload_id for f in rest.files] == [small] and rest.next_cursor is None
    assert files.list_user_files("u1", sort_by="date", sort_order="asc").files[0].upload_id == small
    assert len(files.list_user_files("u1", sort_by="type").files) == 3
    with pytest.raises(BadRequestError, match="sortBy") as bad_sort:
        files.list_user_files("u1", sort_by="colour")
    assert bad_sort.value.status_code == 400
    with pytest.raises(InvalidCursorError):
        files.list_user_files("u1", cursor="nope")
    assert files.delete_session_files("u1", "s1") == 2
    assert [f.upload_id for f in files.list_user_files("u1").files] == [other_session]


def test_the_resolver_returns_contents_and_refuses_bad_ids(files: FileUploadService, s3) -> None:
    resolver = FileResolver(files, s3)
    ready = upload(files, s3, content=b"%PDF-1.7", name="paper.pdf")
    resolved = resolver.resolve_files("u1", [ready, ready])
    assert len(resolved) == 1
    assert (resolved[0].filename, resolved[0].content_type) == ("paper.pdf", "text/plain")
    assert base64.b64decode(resolved[0].bytes) == b"%PDF-1.7"
    pending = presign(files).upload_id
    with pytest.raises(FileNotReadyError) as not_ready:
        resolver.resolve_files("u1", [pending])
    assert not_ready.value.status_code == 409
    with pytest.raises(UploadNotFoundError):
        resolver.resolve_files("u2", [ready])
    with pytest.raises(TooManyFilesError):
        resolver.resolve_files("u1", [f"id-{n}" for n in range(6)])


def test_the_resolver_reads_no_more_than_the_completed_size(files: FileUploadService, s3) -> None:
    ready = upload(files, s3, content=b"hello")
    # Replaced after completion (the presigned URL lives on for a while), by a larger object.
    s3.put_object(Bucket=BUCKET, Key=files.get_file("u1", ready).s3_key, Body=b"x" * 5000)
    with pytest.raises(StoredFileTooLargeError) as too_large:
        FileResolver(files, s3).resolve_files("u1", [ready])
    assert (too_large.value.status_code, too_large.value.detail) == (
        413,
        "file too large: 5000 bytes stored, at most 5",
    )


def test_the_resolver_refuses_a_file_over_the_limit_before_reading_it(dynamodb, s3) -> None:
    files = service_for(dynamodb, s3)
    ready = upload(files, s3, content=b"x" * 100)
    strict = FileUploadService(
        dynamodb, s3, table_name="user-files", bucket=BUCKET, limits=FileLimits(max_file_bytes=10)
    )
    reads: list[str] = []

    def count(**_: Any) -> None:
        reads.append("GetObject")

    s3.meta.events.register("before-call.s3.GetObject", count)
    with pytest.raises(StoredFileTooLargeError) as too_large:
        FileResolver(strict, s3).resolve_files("u1", [ready])
    assert (too_large.value.status_code, too_large.value.field) == (413, "file_upload_ids")
    assert too_large.value.detail == f"upload {ready} is 100 bytes, at most 10"
    assert reads == []


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.reads: list[int | None] = []
        self.closed = False

    def read(self, amt: int | None = None) -> bytes:
        self.reads.append(amt)
        return self.data if amt is None else self.data[:amt]

    def close(self) -> None:
        self.closed = True


class _S3:
    """get_object answering ``ContentLength`` and streaming ``data``, which need not agree."""

    def __init__(self, data: bytes, content_length: int) -> None:
        self.body = _Body(data)
        self.content_length = content_length

    def get_object(self, **_: Any) -> dict[str, Any]:
        return {"Body": self.body, "ContentLength": self.content_length}


def test_a_bounded_read_checks_the_size_first_and_reads_one_byte_past_the_limit_at_most(s3) -> None:
    larger = _S3(b"x" * 5000, 5000)
    with pytest.raises(StoredFileTooLargeError, match="too large"):
        read_object_within(larger, bucket=BUCKET, key="k", max_bytes=10)
    assert (larger.body.reads, larger.body.closed) == ([], True)
    lying = _S3(b"x" * 5000, 10)
    with pytest.raises(StoredFileTooLargeError) as too_large:
        read_object_within(lying, bucket=BUCKET, key="k", max_bytes=10)
    assert too_large.value.detail == "file too large: more than 10 bytes stored"
    assert (lying.body.reads, lying.body.closed) == ([11], True)
    exact = _S3(b"x" * 10, 10)
    assert read_object_within(exact, bucket=BUCKET, key="k", max_bytes=10) == b"x" * 10
    with pytest.raises(FileNotUploadedError):
        read_object_within(s3, bucket=BUCKET, key="missing", max_bytes=10)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_s3_failures_propagate(files: FileUploadService, s3, fault: Fault) -> None:
    ready = upload(files, s3)
    with inject_fault(s3, "GetObject", fault), pytest.raises(fault.error) as raised:
        FileResolver(files, s3).resolve_files("u1", [ready])
    assert_fault(raised.value, fault)
    pending = presign(files).upload_id
    with inject_fault(s3, "HeadObject", fault), pytest.raises(fault.error):
        files.complete_upload("u1", pending)
    with inject_fault(s3, "DeleteObject", fault), pytest.raises(fault.error):
        files.delete_file("u1", ready)
    assert files.get_file("u1", ready).status is FileStatus.READY, "metadata stays when S3 delete fails"


CALLS = {
    "get_file": ("GetItem", lambda f: f.get_file("u1", "x")),
    "get_user_quota": ("GetItem", lambda f: f.get_user_quota("u1")),
    "presign": ("PutItem", presign),
    "session_files": ("Query", lambda f: f.session_files("u1", "s1")),
    "list_user_files": ("Query", lambda f: f.list_user_files("u1")),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_dynamodb_call_propagates_failures(files: FileUploadService, call: str, fault: Fault) -> None:
    operation, invoke = CALLS[call]
    with inject_fault(files._dynamodb, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(files)
    assert failed == [operation]
    assert_fault(raised.value, fault)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_the_transactions_propagate_failures(files: FileUploadService, s3, fault: Fault) -> None:
    ready = upload(files, s3)
    pending = presign(files).upload_id
    s3.put_object(Bucket=BUCKET, Key=files.get_file("u1", pending).s3_key, Body=b"x")
    with inject_fault(files._dynamodb, "TransactWriteItems", fault), pytest.raises(fault.error):
        files.complete_upload("u1", pending)
    with inject_fault(files._dynamodb, "TransactWriteItems", fault), pytest.raises(fault.error):
        files.delete_file("u1", ready)
    oversize = stored(files, s3, b"x" * (files.limits.max_file_bytes + 1))
    with inject_fault(files._dynamodb, "UpdateItem", fault), pytest.raises(fault.error):
        files.complete_upload("u1", oversize)
    with inject_fault(s3, "DeleteObject", fault), pytest.raises(fault.error):
        files.complete_upload("u1", stored(files, s3, b"x" * (files.limits.max_file_bytes + 1)))
