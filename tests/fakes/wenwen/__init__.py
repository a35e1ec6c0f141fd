"""A loopback fake of the wenwen gateway (stock QuantumNous/new-api); see server.py."""

from .errors import GatewayError
from .format_sse import Reply
from .mj_model import MJ_TIMEOUT_REASON, MjTask
from .recording import BODY_KEY, RECORDED_KEY, REQUEST_ID_KEY, Headers, RecordedRequest
from .server import FakeWenwen, public

__all__ = [
    "BODY_KEY",
    "MJ_TIMEOUT_REASON",
    "RECORDED_KEY",
    "REQUEST_ID_KEY",
    "FakeWenwen",
    "GatewayError",
    "Headers",
    "MjTask",
    "RecordedRequest",
    "Reply",
    "public",
]
