"""Talking to the test homeserver as a Matrix user: make rooms, read the notices a bot sent, upload an abstract
generated icon."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import numpy as np
from PIL import Image

from tests.support.matrix_server import MatrixUser, SynapseServer


def q(room_id: str) -> str:
    return quote(room_id, safe="")

def create_room(server: SynapseServer, user: MatrixUser, **body) -> str:
    return server.request("POST", "/_matrix/client/v3/createRoom", token=user.access_token, body=body)["room_id"]


def notices(server: SynapseServer, user: MatrixUser, room: str, sender: str) -> list[str]:
    data = server.request("GET", f"/_matrix/client/v3/rooms/{q(room)}/messages?dir=b&limit=200",
                          token=user.access_token)
    return [e["content"].get("body", "") for e in reversed(data["chunk"])
            if e["type"] == "m.room.message" and e["sender"] == sender]


def upload_icon(server: SynapseServer, user: MatrixUser) -> str:
    """An abstract generated image (non-graphic), uploaded to the media repository."""
    pixels = (np.indices((64, 64)).sum(axis=0) % 17 * 15).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(np.stack([pixels, pixels.T, 255 - pixels], axis=-1)).save(buffer, format="PNG")
    import urllib.request

    request = urllib.request.Request(f"{server.base_url}/_matrix/media/v3/upload?filename=icon.png",
                                     data=buffer.getvalue(), method="POST",
                                     headers={"Authorization": f"Bearer {user.access_token}",
                                              "Content-Type": "image/png"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())["content_uri"]
