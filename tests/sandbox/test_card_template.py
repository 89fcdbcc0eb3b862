"""The shipped card-builder template (core/dingshift-card-template.json) holds the card
contract of shared/design/commands.md, and the sandbox enforces it on createAndDeliver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from core.cards import SHIPPED_CARD_TEMPLATE
from sandbox import Sandbox
from sandbox.templates import (
    CardTemplateError,
    card_template_variables,
    read_card_template,
)

TEMPLATE_ID = "dingshift-test.schema"
CONTRACT = {
    "title": False,
    "body": False,
    "status": False,
    "shift_id": False,
    "buttons": False,
    "my_status": True,
    "last_result": True,
}
CREATE = "/v1.0/card/instances/createAndDeliver"


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("children", []):
        yield from _nodes(child)


def _editor_data() -> dict[str, Any]:
    return read_card_template(SHIPPED_CARD_TEMPLATE)


def test_the_envelope_is_what_the_card_builder_imports() -> None:
    envelope = json.loads(SHIPPED_CARD_TEMPLATE.read_text(encoding="utf-8"))
    assert sorted(envelope) == ["editorData", "mode", "type", "widgetInfo"]
    assert all(isinstance(value, str) for value in envelope.values())
    assert (envelope["type"], envelope["mode"]) == ("im", "card")
    editor_data = json.loads(envelope["editorData"])
    assert editor_data["schemaVersion"] == "3.0.0"
    assert isinstance(editor_data["schema"]["componentsTree"], list)
    assert isinstance(editor_data["variableList"], list)


def test_the_variables_are_exactly_the_card_contract() -> None:
    assert card_template_variables(SHIPPED_CARD_TEMPLATE) == CONTRACT
    types = {entry["name"]: entry["type"] for entry in _editor_data()["variableList"]}
    assert types["body"] == "markdown"
    assert types["buttons"] == "loopArray"
    assert {name for name, kind in types.items() if kind == "string"} == (
        set(CONTRACT) - {"body", "buttons"}
    )
    [buttons] = [v for v in _editor_data()["variableList"] if v["name"] == "buttons"]
    assert [field["name"] for field in buttons["schema"]] == ["label", "action", "shift_id"]


def test_each_button_is_a_request_with_the_contract_params() -> None:
    [root] = _editor_data()["schema"]["componentsTree"]
    [loop] = [node for node in _nodes(root) if node["componentName"] == "Loop"]
    assert loop["props"]["listData"]["variable"] == "buttons"
    [button] = [node for node in _nodes(loop) if node["componentName"] == "SingleButton"]
    props = button["props"]
    assert props["actionType"] == "request"
    assert props["text"]["content"] == "${loop.label}"
    assert props["actionId"]["content"] == "${loop.action}"
    params = {p["name"]: (p["type"], p["variableType"], p["variable"]) for p in props["params"]}
    assert params == {
        "action": ("variable", "loop", "buttons[0].action"),
        "shift_id": ("variable", "loop", "buttons[0].shift_id"),
    }
    [success] = props["successCondition"]["conditions"]
    assert (success["variable"], success["op"], success["value"]) == ("last_result", "equal", "ok")
    texts = {
        node["props"]["text"]["content"]
        for node in _nodes(root)
        if node["componentName"] == "BaseText"
    }
    assert {"${title}", "${status}", "${my_status}"} <= texts


def test_the_sample_data_matches_the_variables() -> None:
    mock = _editor_data()["mockData"]
    public = {name for name, private in CONTRACT.items() if not private}
    assert set(mock["cardData"]) == public
    assert set(mock["cardPrivateData"]) == set(CONTRACT) - public


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("not json", "not valid JSON"),
        ('{"editorData": "{}", "type": "im", "mode": "card"}', "lacks widgetInfo"),
        ('{"editorData": {}, "widgetInfo": "", "type": "im", "mode": "card"}', "editorData is"),
        ('{"editorData": "{", "widgetInfo": "", "type": "im", "mode": "card"}', "no valid JSON"),
        ('{"editorData": "{}", "widgetInfo": "", "type": "im", "mode": "card"}', "variableList"),
    ],
)
def test_unreadable_template_files_are_refused(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "template.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CardTemplateError, match=reason):
        card_template_variables(path)


def _delivery(sb: Sandbox, cid: str, public: dict[str, str]) -> dict[str, Any]:
    return {
        "cardTemplateId": TEMPLATE_ID,
        "outTrackId": "ds-confirm-42",
        "callbackType": "STREAM",
        "userIdType": 1,
        "cardData": {"cardParamMap": public},
        "privateData": {"u-ada": {"cardParamMap": {"my_status": "待回覆", "last_result": ""}}},
        "openSpaceId": f"dtv1.card//IM_GROUP.{cid}",
        "imGroupOpenSpaceModel": {"supportForward": False},
        "imGroupOpenDeliverModel": {"robotCode": sb.robot_code, "atUserIds": {"u-ada": "Ada"}},
    }


async def test_deliveries_are_held_to_the_shipped_template(
    sb: Sandbox, http: aiohttp.ClientSession
) -> None:
    assert sb.register_card_template_file(TEMPLATE_ID, SHIPPED_CARD_TEMPLATE) == CONTRACT
    sb.add_user(nick="Ada", staff_id="u-ada")
    cid = sb.add_group(title="深水埗", members=["u-ada"]).conversation_id
    buttons = [{"label": "確認出席", "action": "confirm", "shift_id": "42"}]
    public = {
        "title": "深水埗食物銀行 · 6月14日（六）",
        "body": "**地點**：北河街",
        "status": "4/6 已確認",
        "shift_id": "42",
        "buttons": json.dumps(buttons, ensure_ascii=False),
    }

    stray = _delivery(sb, cid, public | {"colour": "red"})
    async with http.post(CREATE, json=stray) as response:
        assert response.status == 400
        assert (await response.json())["code"] == "param.variableNotInTemplate"
    assert sb.cards == {}

    async with http.post(CREATE, json=_delivery(sb, cid, public)) as response:
        assert response.status == 200
        assert (await response.json())["success"] is True
    assert sb.card_view("ds-confirm-42", "u-ada") == public | {
        "my_status": "待回覆",
        "last_result": "",
    }


# The layout of an official export: open-dingtalk/dingtalk-card-examples, examples/审批模板/
# 审批模板.json (a message card, schemaVersion 3.0.0). Its widgetInfo and the event_chain file
# in extension are compiled by the card builder, which the project cannot do offline.
EXPORT_EDITOR_KEYS = [
    "schemaVersion",
    "schema",
    "mockData",
    "editVersion",
    "customWidgetInfo",
    "useCustomWidgetInfo",
    "variableList",
    "formList",
    "expList",
    "localList",
    "hsfList",
    "lwpList",
    "extension",
]
EXPORT_VARIABLE_KEYS = {"id", "name", "type", "private", "description", "editorVarType", "schema"}


def test_the_envelope_is_laid_out_as_an_official_export() -> None:
    editor_data = _editor_data()
    assert list(editor_data) == EXPORT_EDITOR_KEYS
    assert list(editor_data["schema"]) == ["version", "componentsMap", "componentsTree", "i18n"]
    assert list(editor_data["mockData"]) == [
        "cardData",
        "cardPrivateData",
        "localData",
        "richTextData",
    ]
    assert (editor_data["editVersion"], editor_data["customWidgetInfo"]) == (0, "")
    assert editor_data["useCustomWidgetInfo"] is False
    assert editor_data["extension"]["extendType"] == "NORMAL"
    for variable in editor_data["variableList"]:
        assert set(variable) <= EXPORT_VARIABLE_KEYS, variable["name"]
