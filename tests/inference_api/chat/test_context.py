"""Context alone: attachments, the assistant's grounding and citations, the history, and the model request."""

from __future__ import annotations

import base64
import dataclasses
from types import SimpleNamespace
from typing import Any, cast

import pytest

from apis.inference_api.chat.context import Attachments, Grounding, TurnContext, TurnContextBuilder, model_request
from apis.inference_api.chat.models import InvocationRequest
from apis.inference_api.chat.prompts import assistant_system_prompt, base_system_prompt
from apis.shared.assistants import SearchHit
from apis.shared.catalog import ResolvedModel
from apis.shared.errors import BadRequestError
from apis.shared.providers import ChatTurn, DocumentBlock, ImageBlock, ModelRequest, TextBlock
from apis.shared.sessions import Citation, Message, SessionService, SessionStore
from tests.inference_api.chat.conftest import ADA
from tests.inference_api.conftest import MODEL_ID

PNG = base64.b64encode(b"\x89PNG").decode()
CSV = base64.b64encode(b"a,b\n1,2\n").decode()


class Uploads:
    def __init__(self) -> None:
        self.asked: list[tuple[str, list[str]]] = []

    def resolve_files(self, user_id: str, upload_ids: list[str]) -> list[Any]:
        self.asked.append((user_id, upload_ids))
        return [SimpleNamespace(filename="notes.csv", content_type="text/csv", bytes=CSV)]


class Assistants:
    """One assistant, ``ast-1``, owned by Bob; remembers the shares marked as used."""

    def __init__(self) -> None:
        self.interacted: list[tuple[str, str | None]] = []

    def get_with_access_check(self, assistant_id: str, user_id: str, email: str | None) -> Any:
        return SimpleNamespace(assistant_id=assistant_id, owner_id="222222222", instructions="Cite the syllabus.")

    def mark_share_as_interacted(self, assistant_id: str, email: str | None) -> None:
        self.interacted.append((assistant_id, email))


class Passages:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str, int]] = []

    def search(self, assistant_id: str, query: str, top_k: int = 5) -> list[SearchHit]:
        self.asked.append((assistant_id, query, top_k))
        return [SearchHit(key="doc-1#0", text="x" * 600, distance=0.1, metadata={"source": "syllabus.pdf"}),
                SearchHit(key="doc-2#3", text="Office hours are on Fridays.", distance=0.2,
                          metadata={"document_id": "doc-9"})]  # fmt: skip


@pytest.fixture
def store(dynamodb: Any) -> SessionStore:
    return SessionStore(dynamodb, "sessions-metadata")


def builder(store: SessionStore, *, max_history_messages: int = 100) -> tuple[TurnContextBuilder, Any]:
    fakes = SimpleNamespace(files=Uploads(), assistants=Assistants(), kb=Passages())
    step = TurnContextBuilder(session_store=store, files=cast("Any", fakes.files),
                              assistants=cast("Any", fakes.assistants), knowledge_base=fakes.kb,
                              max_history_messages=max_history_messages)  # fmt: skip
    return step, fakes


def body(**fields: Any) -> InvocationRequest:
    return InvocationRequest.model_validate({"session_id": "s1", "message": "When are office hours?", **fields})


def say(store: SessionStore, role: str, text: str) -> None:
    SessionService(store).ensure("s1", ADA.user_id)
    store.append_message("s1", ADA.user_id, Message.model_validate({"role": role, "content": [{"text": text}]}))


def test_inline_files_come_before_uploads_and_keep_their_names(store: SessionStore) -> None:
    step, fakes = builder(store)
    attachments = step.attachments(ADA, body(files=[{"filename": "a.png", "content_type": "image/png", "bytes": PNG}],
                                             file_upload_ids=["up_1"]))  # fmt: skip
    assert fakes.files.asked == [(ADA.user_id, ["up_1"])]
    assert attachments == Attachments(
        (ImageBlock(format="png", data=b"\x89PNG"), DocumentBlock(format="csv", name="notes (2)", data=b"a,b\n1,2\n")),
        ("a.png", "notes.csv"),
    )


def test_no_files_reads_no_uploads(store: SessionStore) -> None:
    step, fakes = builder(store)
    assert step.attachments(ADA, body()) == Attachments()
    assert fakes.files.asked == []


def test_a_file_of_a_type_the_model_cannot_read_is_a_400(store: SessionStore) -> None:
    step, _ = builder(store)
    files = [{"filename": "run.exe", "content_type": "application/x-msdownload", "bytes": PNG}]
    with pytest.raises(BadRequestError) as refused:
        step.attachments(ADA, body(files=files))
    assert (refused.value.message, refused.value.field) == (
        "file type 'application/x-msdownload' of run.exe cannot be sent to the model", "files")  # fmt: skip


def test_without_an_assistant_the_question_goes_as_asked_with_the_callers_prompt(store: SessionStore) -> None:
    step, fakes = builder(store)
    assert step.grounding(ADA, body(system_prompt="Answer in French."), None) == Grounding(
        "When are office hours?", "Answer in French.", (), None)  # fmt: skip
    assert step.grounding(ADA, body(), None).system_prompt == base_system_prompt()
    assert fakes.kb.asked == []


def test_an_assistant_grounds_the_question_in_its_passages_and_cites_them(store: SessionStore) -> None:
    step, fakes = builder(store)
    ada = dataclasses.replace(ADA, verified_email="ada@example.edu")
    grounding = step.grounding(ada, body(assistant_id="ast-1"), None)
    assert fakes.kb.asked == [("ast-1", "When are office hours?", 5)]
    assert fakes.assistants.interacted == [("ast-1", "ada@example.edu")]  # Ada uses Bob's shared assistant
    assert grounding.citations == (
        Citation(assistant_id="ast-1", document_id="doc-1", file_name="syllabus.pdf", text="x" * 500),
        Citation(assistant_id="ast-1", document_id="doc-9", file_name="", text="Office hours are on Fridays."),
    )
    assert grounding.system_prompt == assistant_system_prompt("Cite the syllabus.")
    assert grounding.assistant_id == "ast-1"
    assert grounding.prompt.endswith("When are office hours?") and "Office hours are on Fridays." in grounding.prompt


def test_a_session_stays_with_its_assistant(store: SessionStore) -> None:
    step, fakes = builder(store)
    say(store, "user", "Hello")
    session = store.get("s1", ADA.user_id)
    assert session is not None
    with pytest.raises(BadRequestError) as late:
        step.grounding(ADA, body(assistant_id="ast-1"), session)
    assert (late.value.message, late.value.field) == (
        "An assistant cannot join a conversation that has started", "assistant_id")  # fmt: skip
    bound = session.model_copy(update={"preferences": SimpleNamespace(assistant_id="ast-0")})
    with pytest.raises(BadRequestError) as other:
        step.grounding(ADA, body(assistant_id="ast-1"), bound)
    assert other.value.message == "This conversation belongs to another assistant"
    assert step.grounding(ADA, body(), bound).assistant_id == "ast-0"
    assert fakes.kb.asked == []


def test_gather_reads_files_session_and_grounding(store: SessionStore) -> None:
    step, _ = builder(store)
    say(store, "user", "Hello")
    context = step.gather(ADA, body())
    assert context.session is not None and context.session.message_count == 1
    assert (context.attachments, context.grounding.prompt) == (Attachments(), "When are office hours?")


def test_a_new_session_is_the_turn_alone_files_first(store: SessionStore) -> None:
    step, _ = builder(store)
    image = ImageBlock(format="png", data=b"\x89PNG")
    context = TurnContext(Attachments((image,), ("a.png",)), None, Grounding("Q?", "S"))
    assert step.conversation(context, "s1", ADA.user_id) == (ChatTurn(role="user", content=(image, TextBlock("Q?"))),)


def test_the_history_comes_first_and_an_unanswered_question_takes_the_turn_in(store: SessionStore) -> None:
    step, _ = builder(store)
    say(store, "user", "First")
    say(store, "assistant", "One")
    say(store, "user", "Lost")
    context = TurnContext(Attachments(), store.get("s1", ADA.user_id), Grounding("Second", "S"))
    assert step.conversation(context, "s1", ADA.user_id) == (
        ChatTurn(role="user", content=(TextBlock("First"),)),
        ChatTurn(role="assistant", content=(TextBlock("One"),)),
        ChatTurn(role="user", content=(TextBlock("Lost"), TextBlock("Second"))),
    )


def test_a_history_limit_of_zero_sends_the_turn_alone(store: SessionStore) -> None:
    step, _ = builder(store, max_history_messages=0)
    say(store, "user", "First")
    say(store, "assistant", "One")
    context = TurnContext(Attachments(), store.get("s1", ADA.user_id), Grounding("Second", "S"))
    assert step.conversation(context, "s1", ADA.user_id) == (ChatTurn(role="user", content=(TextBlock("Second"),)),)


def test_the_request_takes_the_callers_settings_else_the_models(managed_model: Any) -> None:
    model = ResolvedModel(model_id=MODEL_ID, managed=managed_model)
    turns = (ChatTurn(role="user", content=(TextBlock("Q?"),)),)
    grounding = Grounding("Q?", "S")
    assert model_request(model, body(), grounding, turns) == ModelRequest(
        model_id=MODEL_ID, messages=turns, system_prompt="S", temperature=None, max_tokens=4096, caching=True
    )
    chosen = model_request(model, body(temperature=0.2, max_tokens=50, caching_enabled=False), grounding, turns)
    assert (chosen.temperature, chosen.max_tokens, chosen.caching) == (0.2, 50, False)
