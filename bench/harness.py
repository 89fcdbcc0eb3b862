"""What every benchmark needs before it can start a bot: a sandbox the SDK will connect to."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from sandbox import Sandbox


def start_sandbox(client_id: str, client_secret: str) -> Sandbox:
    """A started sandbox, with DINGTALK_OPENAPI_ENDPOINT pointing at it.

    The SDK binds that variable when it is first imported, so after another benchmark in this
    process has started a bot, the new sandbox must listen on that same port.
    """
    port = 0
    endpoint = os.environ.get("DINGTALK_OPENAPI_ENDPOINT")
    if endpoint and "dingtalk_stream" in sys.modules:
        port = urlsplit(endpoint).port or 0
    sandbox = Sandbox(client_id=client_id, client_secret=client_secret, port=port)
    sandbox.start()
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sandbox.base_url
    return sandbox
