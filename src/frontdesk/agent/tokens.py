"""LiveKit access tokens: for `frontdesk token` and for the caller page's voice calls."""

from __future__ import annotations

import datetime
import json
import uuid

from livekit import api

from frontdesk.models import new_call_id
from frontdesk.settings import Settings

DEFAULT_TTL = datetime.timedelta(hours=1)


def access_token(settings: Settings, *, room: str, identity: str, name: str = "",
                 attributes: dict[str, str] | None = None, dispatch_metadata: dict[str, str] | None = None,
                 ttl: datetime.timedelta = DEFAULT_TTL) -> str:
    """A signed JWT to join `room` as `identity`; with `dispatch_metadata`, it also dispatches our agent."""
    token = (
        api.AccessToken(settings.livekit_api_key, settings.livekit_api_secret)
        .with_identity(identity)
        .with_name(name or identity)
        .with_grants(api.VideoGrants(room_join=True, room=room))
        .with_ttl(ttl)
    )
    if attributes:
        token = token.with_attributes(attributes)
    if dispatch_metadata is not None:
        token = token.with_room_config(api.RoomConfiguration(agents=[api.RoomAgentDispatch(
            agent_name=settings.livekit_agent_name, metadata=json.dumps(dispatch_metadata))]))
    return token.to_jwt()


def web_caller_token(settings: Settings, caller_phone: str, caller_name: str = "") -> dict[str, str]:
    """A fresh room for one web voice call, and the caller's token that dispatches the receptionist."""
    room = f"call-{new_call_id()}"
    identity = f"web-caller-{uuid.uuid4().hex[:12]}"
    details = {"caller_phone": caller_phone, "caller_name": caller_name}
    jwt = access_token(settings, room=room, identity=identity, name=caller_name or "Web caller",
                       attributes={"phone": caller_phone} if caller_phone else None, dispatch_metadata=details)
    return {"url": settings.livekit_url, "token": jwt, "room": room, "identity": identity}
