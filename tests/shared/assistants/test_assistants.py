"""Assistants: visibility and shares, owner-only operations, listings, and every DynamoDB failure."""

from __future__ import annotations

import pytest

from apis.shared.assistants import (
    ASSISTANTS_TABLE,
    AssistantAccessDeniedError,
    AssistantNotFoundError,
    AssistantRepository,
    AssistantService,
    AssistantStatus,
    AssistantVisibility,
    CreateAssistantDraftRequest,
    CreateAssistantRequest,
    ShareAssistantRequest,
    UpdateAssistantRequest,
)
from tests.support.aws import table
from tests.support.faults import FAULT_IDS, FAULTS, Fault, assert_fault, inject_fault

OWNER, OWNER_EMAIL = "owner-1", "owner@example.edu"
FRIEND, FRIEND_EMAIL = "friend-1", "Friend@Example.EDU"
STRANGER, STRANGER_EMAIL = "stranger-1", "stranger@example.edu"


@pytest.fixture
def service(dynamodb) -> AssistantService:
    return AssistantService(AssistantRepository(dynamodb, table(dynamodb, "assistants", ASSISTANTS_TABLE)))


def make(service: AssistantService, name: str = "Tutor", **fields):
    return service.create(OWNER, "Owner", CreateAssistantRequest(name=name, **fields))


def test_draft_then_complete(service: AssistantService) -> None:
    draft = service.create_draft(OWNER, "Owner", CreateAssistantDraftRequest())
    assert (draft.name, draft.status, draft.visibility) == ("Untitled Assistant", AssistantStatus.DRAFT, "PRIVATE")
    assert draft.assistant_id.startswith("ast-") and draft.vector_index_id == "idx_assistants"
    done = service.update(
        draft.assistant_id, OWNER, UpdateAssistantRequest(name="Tutor", status=AssistantStatus.COMPLETE)
    )
    assert (done.name, done.status, done.created_at) == ("Tutor", AssistantStatus.COMPLETE, draft.created_at)


@pytest.mark.parametrize(
    ("visibility", "shared", "friend_sees", "stranger_sees"),
    [
        (AssistantVisibility.PRIVATE, True, False, False),
        (AssistantVisibility.PUBLIC, False, True, True),
        (AssistantVisibility.SHARED, True, True, False),
        (AssistantVisibility.SHARED, False, False, False),
    ],
)
def test_visibility(
    service: AssistantService, visibility, shared: bool, friend_sees: bool, stranger_sees: bool
) -> None:
    assistant = make(service, visibility=visibility)
    if shared:
        service.share(assistant.assistant_id, OWNER, ShareAssistantRequest(emails=[FRIEND_EMAIL]).emails)
    assert service.get_with_access_check(assistant.assistant_id, OWNER, OWNER_EMAIL) == assistant
    for user, email, sees in ((FRIEND, FRIEND_EMAIL, friend_sees), (STRANGER, STRANGER_EMAIL, stranger_sees)):
        if sees:
            assert (
                service.get_with_access_check(assistant.assistant_id, user, email).assistant_id
                == assistant.assistant_id
            )
        else:
            with pytest.raises(AssistantAccessDeniedError) as denied:
                service.get_with_access_check(assistant.assistant_id, user, email)
            assert denied.value.status_code == 403


def test_a_missing_assistant_is_404(service: AssistantService) -> None:
    with pytest.raises(AssistantNotFoundError) as missing:
        service.get_with_access_check("ast-nope", OWNER, OWNER_EMAIL)
    assert missing.value.status_code == 404


def test_owner_only_operations_are_not_found_for_others(service: AssistantService) -> None:
    assistant = make(service, visibility=AssistantVisibility.PUBLIC)
    for operation in (
        lambda: service.update(assistant.assistant_id, STRANGER, UpdateAssistantRequest(name="mine")),
        lambda: service.archive(assistant.assistant_id, STRANGER),
        lambda: service.delete(assistant.assistant_id, STRANGER),
        lambda: service.shares(assistant.assistant_id, STRANGER),
        lambda: service.share(assistant.assistant_id, STRANGER, ["x@y.z"]),
        lambda: service.unshare(assistant.assistant_id, STRANGER, ["x@y.z"]),
    ):
        with pytest.raises(AssistantNotFoundError):
            operation()
    assert service.get_owned(assistant.assistant_id, OWNER).name == "Tutor"


def test_shares_are_added_once_listed_and_removed(service: AssistantService) -> None:
    assistant = make(service, visibility=AssistantVisibility.SHARED)
    emails = ShareAssistantRequest(emails=[FRIEND_EMAIL, "b@x.edu", "B@x.edu"]).emails
    assert emails == ["friend@example.edu", "b@x.edu"]
    assert service.share(assistant.assistant_id, OWNER, emails).shared_with == ["b@x.edu", "friend@example.edu"]
    assert service.mark_share_as_interacted(assistant.assistant_id, FRIEND_EMAIL) is True
    service.share(assistant.assistant_id, OWNER, ["friend@example.edu"])
    listed = service.list_for_user(FRIEND, FRIEND_EMAIL)
    assert listed.assistants[0].first_interacted is True, "sharing again keeps the interaction state"
    assert service.unshare(assistant.assistant_id, OWNER, ["b@x.edu"]).shared_with == ["friend@example.edu"]
    assert service.mark_share_as_interacted(assistant.assistant_id, "nobody@x.edu") is False
    with pytest.raises(ValueError, match="email address"):
        ShareAssistantRequest(emails=["not-an-email"])


def test_listing_owned_and_shared(service: AssistantService) -> None:
    draft = service.create_draft(OWNER, "Owner", CreateAssistantDraftRequest(name="Draft"))
    first = make(service, "First")
    archived = make(service, "Old")
    service.archive(archived.assistant_id, OWNER)
    shared = service.create(
        FRIEND, "Friend", CreateAssistantRequest(name="Theirs", visibility=AssistantVisibility.SHARED)
    )
    service.share(shared.assistant_id, FRIEND, [OWNER_EMAIL])
    listing = service.list_for_user(OWNER, OWNER_EMAIL)
    assert [a.assistant_id for a in listing.assistants] == [shared.assistant_id, first.assistant_id]
    theirs = listing.assistants[0]
    assert theirs.is_shared_with_me and theirs.owner_id is None and theirs.first_interacted is False
    assert listing.assistants[1].owner_id == OWNER and not listing.assistants[1].is_shared_with_me
    everything = service.list_for_user(OWNER, OWNER_EMAIL, include_drafts=True, include_archived=True)
    assert {a.assistant_id for a in everything.assistants} >= {draft.assistant_id, archived.assistant_id}
    assert len(service.list_for_user(OWNER, OWNER_EMAIL, limit=1).assistants) == 1


def test_delete_removes_the_assistant_and_its_shares(service: AssistantService) -> None:
    assistant = make(service, visibility=AssistantVisibility.SHARED)
    service.share(assistant.assistant_id, OWNER, [FRIEND_EMAIL.lower()])
    service.delete(assistant.assistant_id, OWNER)
    assert not service.exists(assistant.assistant_id)
    assert service.list_for_user(FRIEND, FRIEND_EMAIL).assistants == []


CALLS = {
    "get": ("GetItem", lambda s: s.exists("ast-1")),
    "create": ("PutItem", make),
    "list_owned": ("Query", lambda s: s.list_for_user(OWNER, OWNER_EMAIL)),
}


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("call", sorted(CALLS))
def test_every_call_propagates_dynamodb_failures(service: AssistantService, call: str, fault: Fault) -> None:
    operation, invoke = CALLS[call]
    with inject_fault(service._repository._client, operation, fault) as failed, pytest.raises(fault.error) as raised:
        invoke(service)
    assert failed and failed[0] == operation
    assert_fault(raised.value, fault)


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
def test_share_and_delete_calls_propagate_failures(service: AssistantService, fault: Fault) -> None:
    assistant = make(service, visibility=AssistantVisibility.SHARED)
    client = service._repository._client
    with inject_fault(client, "PutItem", fault), pytest.raises(fault.error):
        service.share(assistant.assistant_id, OWNER, ["a@b.c"])
    with inject_fault(client, "UpdateItem", fault), pytest.raises(fault.error):
        service.mark_share_as_interacted(assistant.assistant_id, "a@b.c")
    with inject_fault(client, "DeleteItem", fault), pytest.raises(fault.error):
        service.delete(assistant.assistant_id, OWNER)
    with inject_fault(client, "GetItem", fault), pytest.raises(fault.error):
        service.get_with_access_check(assistant.assistant_id, STRANGER, STRANGER_EMAIL)
