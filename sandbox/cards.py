"""Card platform rules from dingtalk-cards.md §2.5-§2.8 and §4.1.

Real DingTalk accepts some of these mistakes silently and then renders nothing (a non-string value,
a private value for a public variable); the sandbox rejects what it can with a 400 naming the
field, because a silent blank card is exactly the failure a local test should catch early.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.protocol import DingTalkError

MAX_VALUE_BYTES = 1024
MAX_KEY_BYTES = 100
MAX_OUT_TRACK_ID_CHARS = 64
SPACE_PREFIX = "dtv1.card//"
# space type -> (open space model, deliver model) keys of a createAndDeliver body
SPACE_MODELS = {
    "IM_GROUP": ("imGroupOpenSpaceModel", "imGroupOpenDeliverModel"),
    "IM_ROBOT": ("imRobotOpenSpaceModel", "imRobotOpenDeliverModel"),
}


def param_map(
    card_data: object, where: str, variables: Mapping[str, bool] | None
) -> dict[str, str]:
    """Checks a `{"cardParamMap": {...}}` object against the limits and the template, if any."""
    if not isinstance(card_data, dict) or not isinstance(card_data.get("cardParamMap"), dict):
        raise _invalid(f"{where} must be an object with a cardParamMap object")
    params: dict[str, Any] = card_data["cardParamMap"]
    for key, value in params.items():
        field = f"{where}.cardParamMap[{key!r}]"
        if len(key.encode()) > MAX_KEY_BYTES:
            raise _invalid(f"{field}: key longer than {MAX_KEY_BYTES} bytes")
        if not isinstance(value, str):
            raise _invalid(
                f"{field} is {type(value).__name__}; card data is Map<String, String>, "
                "so numbers, booleans and JSON must be sent as strings"
            )
        if len(value.encode()) > MAX_VALUE_BYTES:
            raise _invalid(
                f"{field} is {len(value.encode())} bytes; the limit is {MAX_VALUE_BYTES}"
            )
        if variables is not None and key not in variables:
            raise DingTalkError(
                400, "param.variableNotInTemplate", f"{field}: the template has no such variable"
            )
    return dict(params)


def private_maps(
    private_data: object, variables: Mapping[str, bool] | None, known_staff_ids: set[str]
) -> dict[str, dict[str, str]]:
    """Validates the OpenAPI form `{"<staffId>": {"cardParamMap": {...}}}`."""
    if not isinstance(private_data, dict):
        raise _invalid("privateData must be an object keyed by userId")
    maps: dict[str, dict[str, str]] = {}
    for user_id, card_data in private_data.items():
        if user_id not in known_staff_ids:
            raise DingTalkError(400, "param.userIdNotExist", f"privateData: unknown {user_id!r}")
        maps[user_id] = param_map(card_data, f"privateData[{user_id!r}]", variables)
    return maps


def parse_spaces(open_space_id: object) -> list[tuple[str, str]]:
    """Splits `dtv1.card//IM_GROUP.<cid>;IM_ROBOT.<staffId>` into (space type, space id) pairs."""
    if not isinstance(open_space_id, str) or not open_space_id.startswith(SPACE_PREFIX):
        raise DingTalkError(
            400, "param.openSpaceIdInvalid", f"openSpaceId must start with {SPACE_PREFIX!r}"
        )
    spaces = []
    for part in open_space_id.removeprefix(SPACE_PREFIX).split(";"):
        space_type, _, space_id = part.partition(".")
        if space_type not in SPACE_MODELS or not space_id:
            raise DingTalkError(
                400, "param.openSpaceIdInvalid", f"unsupported space {part!r} in openSpaceId"
            )
        spaces.append((space_type, space_id))
    return spaces


def merged(old: Mapping[str, str], new: Mapping[str, str], *, by_key: bool) -> dict[str, str]:
    """DingTalk's update rule: by key merges, anything else replaces the whole map."""
    return {**old, **new} if by_key else dict(new)


def update_options(body: Mapping[str, Any]) -> tuple[bool, bool]:
    """(updateCardDataByKey, updatePrivateDataByKey); absent means replace ("不填默认覆盖更新")."""
    options = body.get("cardUpdateOptions")
    if not isinstance(options, dict):
        return False, False
    return options.get("updateCardDataByKey") is True, options.get(
        "updatePrivateDataByKey"
    ) is True


@dataclass(frozen=True)
class AckUpdate:
    """The card change a tap's ACK asks for, already validated."""

    public: dict[str, str] | None
    private: dict[str, str] | None
    public_by_key: bool
    private_by_key: bool
    note: str


def ack_update(response: object, variables: Mapping[str, bool] | None) -> AckUpdate:
    """Reads `json.loads(ack.data)["response"]`; raises DingTalkError when it must be ignored."""
    if response is None or response == "":
        return AckUpdate(None, None, False, False, "no card update in the response")
    if not isinstance(response, dict):
        raise _invalid(f"ACK response is {type(response).__name__}, not an object")
    public = private = None
    if "cardData" in response:
        public = param_map(response["cardData"], "cardData", variables)
    if "userPrivateData" in response:
        private = param_map(response["userPrivateData"], "userPrivateData", variables)
    # The OpenAPI form keyed by userId is a common mistake in ACKs (the SDK's own example makes
    # it); DingTalk ignores it, so the sandbox does too, but says so in the card history.
    note = "privateData ignored: ACKs use userPrivateData" if "privateData" in response else ""
    return AckUpdate(public, private, *update_options(response), note)


def _invalid(message: str) -> DingTalkError:
    return DingTalkError(400, "param.cardParamMapInvalid", message)
