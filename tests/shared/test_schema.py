"""``PartialUpdate``: a field left out keeps its value; an explicit null is refused unless the field is nullable."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError

from apis.shared.schema import PartialUpdate


class Rename(PartialUpdate):
    nullable = frozenset({"image_url"})

    display_name: str | None = Field(default=None, min_length=1)
    priority: int | None = None
    image_url: str | None = None


def test_fields_left_out_are_not_set() -> None:
    update = Rename.model_validate({"displayName": "Tutor"})
    assert update.model_dump(exclude_unset=True) == {"displayName": "Tutor"}


def test_an_explicit_null_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError) as raised:
        Rename.model_validate({"displayName": None, "priority": None})
    assert [(error["loc"], error["msg"]) for error in raised.value.errors()] == [
        (("displayName",), "Value error, may be left out but not null"),
        (("priority",), "Value error, may be left out but not null"),
    ]


def test_a_nullable_field_takes_null_as_a_value() -> None:
    assert Rename.model_validate({"imageUrl": None}).model_dump(exclude_unset=True) == {"imageUrl": None}


def test_the_schema_shows_only_nullable_fields_as_nullable() -> None:
    properties = Rename.model_json_schema()["properties"]
    assert properties["displayName"] == {"minLength": 1, "title": "Displayname", "type": "string"}
    assert properties["priority"] == {"title": "Priority", "type": "integer"}
    assert properties["imageUrl"] == {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None,
                                      "title": "Imageurl"}  # fmt: skip


def test_updates_built_in_code_follow_the_same_rules() -> None:
    assert Rename(priority=3).model_dump(exclude_unset=True) == {"priority": 3}
    assert Rename(image_url=None).image_url is None
    with pytest.raises(ValidationError):
        Rename(priority=None)
