"""Messages: one's conversations, reading one (which marks it read), answering."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from ...services import conversations
from . import limits
from .auth import SECURED, member_id, token_required
from .problems import refusals
from .schemas import ConversationSchema, InboxEntrySchema, MessageInSchema, MessageRefSchema

blp = Blueprint(
    "api_conversations",
    __name__,
    url_prefix="/api/v1/conversations",
    description="Messages between a passenger and a driver about a trip.",
)

CONVERSATION = "/<int(max=2147483647):conversation_id>"


@blp.get("")
@blp.doc(**SECURED)
@blp.response(200, InboxEntrySchema(many=True))
@token_required
def inbox() -> list[conversations.InboxEntry]:
    """One's conversations, the latest first, with their unread counts."""
    return conversations.inbox(member_id())


@blp.get(CONVERSATION)
@blp.doc(**SECURED)
@blp.response(200, ConversationSchema)
@token_required
@refusals
def read(conversation_id: int) -> conversations.ConversationView:
    """A conversation's messages, oldest first; they count as read from now on."""
    return conversations.read(conversation_id, member_id())


@blp.post(f"{CONVERSATION}/messages")
@blp.doc(**SECURED)
@blp.arguments(MessageInSchema)
@blp.response(201, MessageRefSchema)
@token_required
@limits.messages
@refusals
def send(data: dict[str, Any], conversation_id: int) -> dict[str, int]:
    """Write to the other side of a conversation."""
    return {"message_id": conversations.send(conversation_id, member_id(), data["text"])}
