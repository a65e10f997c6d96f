"""Sessions and messages in DynamoDB: transactional moves, ownership, ordering, pagination, failures."""

from __future__ import annotations

import asyncio
import threading

import pytest

from apis.shared.errors import ConflictError
from apis.shared.pagination import InvalidCursorError
from apis.shared.sessions import (
    SESSIONS_METADATA_TABLE,
    Citation,
    Message,
    MessageContent,
    MessageMetadata,
    SessionMetadata,
    SessionNotFoundError,
    SessionPreferences,
    SessionService,
    SessionStatus,
    SessionStore,
    UpdateSessionMetadataRequest,
    get_session_metadata,
)
from tests.support.aws import table
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault


@pytest.fixture
def store(dynamodb) -> SessionStore:
    return SessionStore(dynamodb, table(dynamodb, "sessions-metadata", SESSIONS_METADATA_TABLE), sleep=lambda s: None)


def session(
    session_id: str = "s1", user_id: str = "u1", at: str = "2026-11-01T00:00:00.000Z", **fields
) -> SessionMetadata:
    return SessionMetadata(
        **(
            {"session_id": session_id, "user_id": user_id, "title": "T", "created_at": at, "last_message_at": at}
            | fields
        )
    )


def text(value: str, role: str = "user", timestamp: str | None = None, **metadata) -> Message:
    return Message(
        role=role, content=[MessageContent(text=value)], timestamp=timestamp,
        metadata=MessageMetadata(**metadata) if metadata else None,
    )  # fmt: skip


def test_create_get_and_ownership(store: SessionStore) -> None:
    created = store.create(session(preferences=SessionPreferences(last_model="m1")))
    assert store.get("s1", "u1") == created
    assert store.get("s1", "someone-else") is None, "another user's session is not found"
    with pytest.raises(SessionNotFoundError) as missing:
        store.get_or_raise("s1", "someone-else")
    assert missing.value.status_code == 404
    with pytest.raises(ConflictError):
        store.create(session())


def test_sessions_list_newest_message_first_with_pages(store: SessionStore) -> None:
    for day in range(1, 6):
        store.create(session(f"s{day}", at=f"2026-11-0{day}T00:00:00.000Z"))
    store.create(session("other", user_id="u2"))
    first = store.list_sessions("u1", limit=2)
    assert [s.session_id for s in first.sessions] == ["s5", "s4"]
    second = store.list_sessions("u1", limit=2, next_token=first.next_token)
    assert [s.session_id for s in second.sessions] == ["s3", "s2"]
    last = store.list_sessions("u1", limit=2, next_token=second.next_token)
    assert [s.session_id for s in last.sessions] == ["s1"] and last.next_token is None
    with pytest.raises(InvalidCursorError):
        store.list_sessions("u1", next_token="garbage!")
    with pytest.raises(InvalidCursorError, match="Invalid pagination token"):
        store.list_sessions("u2", next_token=first.next_token)


def test_a_new_message_moves_the_session_to_the_top(store: SessionStore) -> None:
    store.create(session("old", at="2026-11-01T00:00:00.000Z"))
    store.create(session("new", at="2026-11-02T00:00:00.000Z"))
    store.append_message("old", "u1", text("hello", timestamp="2026-11-03T00:00:00.000Z"))
    assert [s.session_id for s in store.list_sessions("u1").sessions] == ["old", "new"]
    moved = store.get("old", "u1")
    assert moved.message_count == 1 and moved.last_message_at == "2026-11-03T00:00:00.000Z"


def test_messages_are_ordered_paged_and_carry_metadata(store: SessionStore) -> None:
    store.create(session())
    citation = Citation(assistant_id="a1", document_id="d1", file_name="f.pdf", text="quote")
    for n in range(5):
        index = store.append_message(
            "s1", "u1", text(f"m{n}", role="assistant" if n % 2 else "user", cost=0.0012, citations=[citation])
        )
        assert index == n
    first = store.list_messages("s1", "u1", limit=3)
    assert [m.content[0].text for m in first.messages] == ["m0", "m1", "m2"]
    assert first.messages[1].id == "msg-s1-1" and first.messages[1].role == "assistant"
    assert first.messages[0].citations == [citation], "citations move out of the metadata"
    assert first.messages[0].metadata.cost == pytest.approx(0.0012)
    rest = store.list_messages("s1", "u1", limit=3, next_token=first.next_token)
    assert [m.content[0].text for m in rest.messages] == ["m3", "m4"] and rest.next_token is None
    with pytest.raises(SessionNotFoundError):
        store.list_messages("s1", "u2")
    with pytest.raises(SessionNotFoundError):
        store.append_message("missing", "u1", text("x"))


def test_recent_messages_are_the_last_ones_oldest_first(store: SessionStore) -> None:
    store.create(session())
    store.create(session("s10"))  # a session id that shares a prefix must not leak in
    for n in range(7):
        store.append_message("s1", "u1", text(f"m{n}"))
    store.append_message("s10", "u1", text("other"))
    assert [m.content[0].text for m in store.recent_messages("s1", "u1", limit=3)] == ["m4", "m5", "m6"]
    assert len(store.recent_messages("s1", "u1", limit=50)) == 7
    assert store.recent_messages("s1", "u1", limit=0) == []
    assert store.recent_messages("s1", "u2", limit=5) == []  # only the user's own


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_recent_messages_fail_loudly(store: SessionStore, dynamodb, fault: Fault) -> None:
    store.create(session())
    with inject_fault(dynamodb, "Query", fault), pytest.raises(fault.error) as raised:
        store.recent_messages("s1", "u1", limit=5)
    assert_fault(raised.value, fault)


def test_soft_delete_hides_the_session(store: SessionStore) -> None:
    store.create(session())
    deleted = store.soft_delete("s1", "u1")
    assert deleted.status is SessionStatus.DELETED and deleted.deleted and deleted.deleted_at
    assert store.list_sessions("u1").sessions == []
    with pytest.raises(SessionNotFoundError):
        store.get_or_raise("s1", "u1")
    assert store.get_or_raise("s1", "u1", include_deleted=True).deleted
    with pytest.raises(SessionNotFoundError):
        store.soft_delete("s1", "u1")


def test_a_lost_race_is_retried_from_a_fresh_read(store: SessionStore) -> None:
    store.create(session())
    calls = {"n": 0}

    def change(current: SessionMetadata) -> SessionMetadata:
        calls["n"] += 1
        if calls["n"] == 1:
            store.update("s1", "u1", lambda c: c.model_copy(update={"title": "theirs"}))
        return current.model_copy(update={"starred": True})

    result = store.update("s1", "u1", change)
    assert calls["n"] == 2
    assert (result.title, result.starred) == ("theirs", True), "the retry merged into their change"


def test_concurrent_messages_get_unique_indexes_and_an_exact_count(serial_dynamodb) -> None:
    store = SessionStore(serial_dynamodb, table(serial_dynamodb, "sessions-metadata", SESSIONS_METADATA_TABLE))
    store.create(session())
    indexes: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(thread: int) -> None:
        try:
            for n in range(5):
                index = store.append_message("s1", "u1", text(f"t{thread}-{n}"))
                with lock:
                    indexes.append(index)
        except BaseException as exc:  # noqa: BLE001 (collected and asserted by the test)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(indexes) == list(range(20))
    assert store.get("s1", "u1").message_count == 20
    assert len(store.list_messages("s1", "u1").messages) == 20


def test_service_create_on_put_merge_and_bulk_delete(store: SessionStore) -> None:
    service = SessionService(store)
    created = service.update_metadata("s1", "u1", UpdateSessionMetadataRequest(last_model="m1"))
    assert (created.title, created.status, created.message_count) == ("New Conversation", SessionStatus.ACTIVE, 0)
    assert created.preferences.last_model == "m1"
    merged = service.update_metadata("s1", "u1", UpdateSessionMetadataRequest(title="Trip", assistant_id="a1"))
    assert merged.title == "Trip"
    assert (merged.preferences.last_model, merged.preferences.assistant_id) == ("m1", "a1"), "merged key by key"
    plain = service.update_metadata("s2", "u1", UpdateSessionMetadataRequest(starred=True))
    assert plain.preferences is None and plain.starred
    listed = service.list("u1")
    assert {s.session_id for s in listed.sessions} == {"s1", "s2"}
    assert "userId" not in listed.model_dump(by_alias=True)["sessions"][0]
    result = service.bulk_delete(["s1", "missing", "s1"], "u1")
    assert (result.deleted_count, result.failed_count) == (1, 1)
    assert result.results[1].error == "Session not found"
    with pytest.raises(SessionNotFoundError):
        service.update_metadata("s1", "u1", UpdateSessionMetadataRequest(title="back?"))
    gone = service.update_metadata("s2", "u1", UpdateSessionMetadataRequest(status=SessionStatus.DELETED))
    assert gone.deleted
    assert service.ensure("s3", "u1").title == "New Conversation"
    assert service.ensure("s3", "u1").session_id == "s3"
    with pytest.raises(SessionNotFoundError):
        service.ensure("s1", "u1")
    assert service.get("s3", "u1").session_id == "s3"


def test_session_metadata_is_read_in_a_worker_thread(store: SessionStore) -> None:
    store.create(session(title="Renamed"))

    async def scenario() -> None:
        assert (await get_session_metadata("s1", "u1", store=store)).title == "Renamed"
        assert await get_session_metadata("s1", "u2", store=store) is None

    asyncio.run(scenario())


CALLS = {
    "get": ("GetItem", lambda store: store.get("s1", "u1")),
    "list_sessions": ("Query", lambda store: store.list_sessions("u1")),
    "list_messages": ("Query", lambda store: store.list_messages("s1", "u1")),
    "create": ("TransactWriteItems", lambda store: store.create(session("s9"))),
    "update": ("TransactWriteItems", lambda store: store.update("s1", "u1", lambda c: c)),
    "append_message": ("TransactWriteItems", lambda store: store.append_message("s1", "u1", text("x"))),
    "soft_delete": ("TransactWriteItems", lambda store: store.soft_delete("s1", "u1")),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_call_propagates_dynamodb_failures(store: SessionStore, call: str, fault: Fault) -> None:
    store.create(session())
    operation, invoke = CALLS[call]
    with inject_fault(store._client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(store)
    assert failed and failed[0] == operation
    assert_fault(raised.value, fault)


def test_the_update_transaction_is_guarded_by_the_version(store: SessionStore) -> None:
    store.create(session())
    captured: list[dict] = []
    store._client.meta.events.register(
        "before-parameter-build.dynamodb.TransactWriteItems", lambda params, **_: captured.append(params)
    )
    store.append_message("s1", "u1", text("x", timestamp="2026-11-05T00:00:00.000Z"))
    put_session, delete_listing, put_listing, put_message = captured[0]["TransactItems"]
    assert put_session["Put"]["ConditionExpression"] == "version = :version"
    assert put_session["Put"]["ExpressionAttributeValues"] == {":version": {"N": "1"}}
    assert delete_listing["Delete"]["Key"]["SK"] == {"S": "S#ACTIVE#2026-11-01T00:00:00.000Z#s1"}
    assert put_listing["Put"]["Item"]["SK"] == {"S": "S#ACTIVE#2026-11-05T00:00:00.000Z#s1"}
    assert put_message["Put"]["Item"]["SK"] == {"S": "M#s1#00000000"}
    assert put_message["Put"]["ConditionExpression"] == "attribute_not_exists(PK)"


def test_the_message_append_transaction_with_stubber(dynamodb) -> None:
    from botocore.stub import ANY, Stubber

    from apis.shared.aws import to_item

    store = SessionStore(dynamodb, "sessions", sleep=lambda s: None)
    stored = {
        "PK": "USER#u1", "SK": "SESSION#s1", "version": 3, "sessionId": "s1", "userId": "u1", "title": "T",
        "status": "active", "createdAt": "2026-11-01T00:00:00.000Z", "lastMessageAt": "2026-11-01T00:00:00.000Z",
        "messageCount": 2,
    }  # fmt: skip
    get = {"TableName": "sessions", "Key": to_item({"PK": "USER#u1", "SK": "SESSION#s1"}), "ConsistentRead": True}
    move = {
        "TransactItems": [
            {"Put": {"TableName": "sessions", "Item": ANY, "ConditionExpression": "version = :version",
                     "ExpressionAttributeValues": {":version": {"N": "3"}}}},
            {"Delete": {"TableName": "sessions",
                        "Key": to_item({"PK": "USER#u1", "SK": "S#ACTIVE#2026-11-01T00:00:00.000Z#s1"})}},
            {"Put": {"TableName": "sessions", "Item": ANY}},
            {"Put": {"TableName": "sessions", "Item": ANY, "ConditionExpression": "attribute_not_exists(PK)"}},
        ]
    }  # fmt: skip
    conflict = {"CancellationReasons": [{"Code": "ConditionalCheckFailed"}, {"Code": "None"}]}
    with Stubber(dynamodb) as stubber:
        stubber.add_response("get_item", {"Item": to_item(stored)}, get)
        stubber.add_client_error("transact_write_items", "TransactionCanceledException", modeled_fields=conflict)
        stubber.add_response("get_item", {"Item": to_item(stored)}, get)
        stubber.add_response("transact_write_items", {}, move)
        index = store.append_message("s1", "u1", text("hi", timestamp="2026-11-02T00:00:00.000Z"))
        stubber.assert_no_pending_responses()
    assert index == 2, "a lost race is retried from a fresh read"
