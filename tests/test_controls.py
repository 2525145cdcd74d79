"""The play stream's control messages (app/api/controls.py): parsing, the errors that
name the field, and how ``play`` and ``speed`` change the settings."""

from __future__ import annotations

from typing import Any

import pytest

from app.api.controls import (
    Ack,
    BoundaryRequest,
    ControlError,
    Pause,
    Ping,
    Play,
    PlaySettings,
    Speed,
    parse_control,
)
from app.settings import Limits

LIMITS = Limits(max_steps=100, max_grid=50)


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ('{"type": "play"}', Play, {"steps_per_frame": None, "format": "binary"}),
        ('{"type": "play", "steps_per_second": 2.5, "format": "json"}', Play,
         {"steps_per_second": 2.5, "format": "json"}),
        ('{"type": "speed", "steps_per_frame": 3}', Speed, {"steps_per_frame": 3}),
        ('{"type": "pause"}', Pause, {}),
        ('{"type": "ack", "seq": 4}', Ack, {"seq": 4}),
        ('{"type": "ping"}', Ping, {}),
    ],
)  # fmt: skip
def test_control_messages_parse_by_their_type(text, kind, fields):
    msg = parse_control(text)
    assert type(msg) is kind
    assert {k: getattr(msg, k) for k in fields} == fields


def test_a_boundary_request_has_its_defaults():
    msg = parse_control('{"type": "play", "boundary": {}}')
    assert isinstance(msg, Play) and msg.boundary is not None
    b = msg.boundary
    assert (b.every, b.per_second, b.resolution, b.neurons) == (6, None, 40, False)


@pytest.mark.parametrize(
    ("text", "detail", "loc"),
    [
        ("{", "not valid JSON: ", []),
        ("[1, 2]", 'a control message is a JSON object with "type"', ["type"]),
        ('{"seq": 1}', 'a control message is a JSON object with "type"', ["type"]),
        ('{"type": "jump"}', "type: ", ["type"]),
        ('{"type": "play", "steps_per_frame": 0}', "steps_per_frame: ", ["steps_per_frame"]),
        ('{"type": "play", "speed": 3}', "speed: ", ["speed"]),
        ('{"type": "play", "steps_per_frame": 5, "steps_per_second": 9}',
         "give steps_per_frame or steps_per_second, not both", ["steps_per_second"]),
        ('{"type": "speed", "boundary": {"every": 0}}', "boundary.every: ", ["boundary", "every"]),
        ('{"type": "play", "boundary": {"every": 2, "per_second": 9}}',
         "boundary: give every or per_second, not both", ["boundary", "per_second"]),
        ('{"type": "play", "format": "xml"}', "format: ", ["format"]),
        ('{"type": "ack"}', "seq: ", ["seq"]),
        ('{"type": "ack", "seq": 1.5}', "seq: ", ["seq"]),
        ('{"type": "play", "steps_per_second": NaN}', "not valid JSON", []),
    ],
)  # fmt: skip
def test_a_bad_message_names_the_field(text, detail, loc):
    with pytest.raises(ControlError) as err:
        parse_control(text)
    assert err.value.detail.startswith(detail), err.value.detail
    assert err.value.loc == loc


def _apply(
    settings: PlaySettings, text: str, dims: int = 2, reads: list[str] | None = None
) -> list[str]:
    """Apply a message; the reads of the session's input dimension it made."""
    reads = [] if reads is None else reads

    def input_dim() -> int:
        reads.append("input_dim")
        return dims

    msg = parse_control(text)
    assert isinstance(msg, Play | Speed)
    settings.apply(msg, LIMITS, input_dim)
    return reads


GRID = BoundaryRequest.model_validate({"every": 2, "resolution": 10})
START: dict[str, Any] = {"steps_per_frame": 5, "boundary": GRID, "format": "json"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type": "play"}', PlaySettings()),  # play replaces every setting
        ('{"type": "play", "steps_per_second": 9}', PlaySettings(steps_per_second=9.0)),
        ('{"type": "speed"}', PlaySettings(**START)),  # speed only those it gives
        ('{"type": "speed", "format": "binary"}', PlaySettings(5, None, GRID, "binary")),
        ('{"type": "speed", "boundary": null}', PlaySettings(5, None, None, "json")),
        ('{"type": "speed", "steps_per_second": 9}', PlaySettings(None, 9.0, GRID, "json")),
        ('{"type": "speed", "steps_per_frame": null}', PlaySettings(None, None, GRID, "json")),
        ('{"type": "speed", "boundary": {"every": 2, "resolution": 10}}', PlaySettings(**START)),
    ],
)
def test_play_replaces_the_settings_and_speed_changes_those_given(text, expected):
    settings = PlaySettings(**START)
    _apply(settings, text)
    assert settings == expected


def test_one_speed_at_a_time():
    settings = PlaySettings(steps_per_second=9.0)
    _apply(settings, '{"type": "speed", "steps_per_frame": 3}')
    assert (settings.steps_per_frame, settings.steps_per_second) == (3, None)


@pytest.mark.parametrize(
    ("text", "dims", "detail", "loc", "reads"),
    [
        ('{"type": "play", "boundary": {"resolution": 51}}', 2,
         "boundary.resolution: 51 is over the server's limit of 50", ["boundary", "resolution"],
         []),  # the store is not read for a request refused anyway
        ('{"type": "play", "boundary": {"resolution": 50, "plane": [0, 3]}}', 3,
         "boundary.plane: needs two different features of 0…2, got [0, 3]", ["boundary", "plane"],
         ["input_dim"]),
        ('{"type": "play", "boundary": {"plane": [1, 1]}}', 4,
         "boundary.plane: needs two different features of 0…3, got [1, 1]", ["boundary", "plane"],
         ["input_dim"]),
        ('{"type": "speed", "steps_per_frame": 101}', 2,
         "steps_per_frame: 101 is over the server's limit of 100", ["steps_per_frame"], []),
    ],
)  # fmt: skip
def test_settings_over_the_limits_are_refused(text, dims, detail, loc, reads):
    made: list[str] = []
    with pytest.raises(ControlError) as err:
        _apply(PlaySettings(**START), text, dims, made)
    assert (err.value.detail, err.value.loc) == (detail, loc)
    assert made == reads


def test_a_refused_grid_changes_nothing():
    settings = PlaySettings(**START)
    with pytest.raises(ControlError):
        _apply(settings, '{"type": "play", "boundary": {"resolution": 51}}')
    assert settings == PlaySettings(**START)


def test_too_many_steps_per_frame_fall_back_to_full_speed_with_the_rest_applied():
    settings = PlaySettings(**START)
    with pytest.raises(ControlError):
        _apply(settings, '{"type": "play", "steps_per_frame": 101, "format": "binary"}')
    assert settings == PlaySettings()


def test_the_session_is_read_only_when_a_grid_is_asked_for():
    assert _apply(PlaySettings(), '{"type": "play", "steps_per_frame": 3}') == []
    assert _apply(PlaySettings(), '{"type": "play", "boundary": {}}', dims=1) == ["input_dim"]
