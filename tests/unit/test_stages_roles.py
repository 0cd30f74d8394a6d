import pytest

from registry.domain.errors import InvalidParameter
from registry.domain.identity import Role, parse_role
from registry.domain.stages import Stage, parse_stage


def test_stages_parse_case_insensitively() -> None:
    assert parse_stage("production") is Stage.PRODUCTION
    assert parse_stage("None") is Stage.NONE
    assert parse_stage("ARCHIVED") is Stage.ARCHIVED


def test_unknown_stage_has_mlflows_message() -> None:
    with pytest.raises(InvalidParameter) as info:
        parse_stage("Bogus")
    assert info.value.message == (
        "Invalid Model Version stage: Bogus. Value must be one of None, Staging, Production, Archived."
    )


@pytest.mark.parametrize(
    ("held", "required", "allowed"),
    [
        (Role.READER, Role.READER, True),
        (Role.READER, Role.CONTRIBUTOR, False),
        (Role.CONTRIBUTOR, Role.READER, True),
        (Role.CONTRIBUTOR, Role.REVIEWER, False),
        (Role.REVIEWER, Role.CONTRIBUTOR, True),
        (Role.REVIEWER, Role.ADMIN, False),
        (Role.ADMIN, Role.PROMOTER, True),
        (Role.ADMIN, Role.REVIEWER, True),
        (Role.PROMOTER, Role.CONTRIBUTOR, True),
        (Role.PROMOTER, Role.REVIEWER, False),
        (Role.PROMOTER, Role.PROMOTER, True),
        (Role.REVIEWER, Role.PROMOTER, False),
    ],
)
def test_role_grants(held: Role, required: Role, allowed: bool) -> None:
    assert held.grants(required) is allowed


def test_parse_role() -> None:
    assert parse_role(" Reviewer ") is Role.REVIEWER
    with pytest.raises(InvalidParameter, match="Unknown role"):
        parse_role("owner")
