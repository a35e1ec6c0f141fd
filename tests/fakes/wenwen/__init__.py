"""A loopback fake of the wenwen gateway (stock QuantumNous/new-api); see server.py."""

from .chat import Reply
from .errors import GatewayError
from .server import FakeWenwen, Headers, RecordedRequest, public

__all__ = ["FakeWenwen", "GatewayError", "Headers", "RecordedRequest", "Reply", "public"]
