"""A second process serving text calls on the same database: each stdin line is a caller's question,
asked on a new call; the reply is printed as one JSON line."""

from __future__ import annotations

import json
import sys

from frontdesk.services import build_services
from frontdesk.settings import Settings


def main(url: str) -> None:
    """Serve until stdin closes."""
    settings = Settings(_env_file=None, database_url=url, secret_key="peer-" + "p" * 40, env="test",  # type: ignore[call-arg]
                        openai_api_key="", livekit_url="", calls_rate_limit_per_minute=0)
    svc = build_services(settings)
    hub = svc.call_hub()
    hub.warm_up()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        call = hub.start_call("+15550004444", "Peer")
        reply = hub.send(call.id, line.strip()).reply
        hub.end_call(call.id)
        print(json.dumps({"reply": reply}), flush=True)
    svc.stop()


if __name__ == "__main__":
    main(sys.argv[1])
