"""A process that escalates and answers requests in a loop, printing each commit, until it is killed."""

from __future__ import annotations

import sys

from frontdesk.services import build_services
from frontdesk.settings import Settings


def main(url: str, prefix: str) -> None:
    """Write forever; every printed line names something already committed."""
    settings = Settings(_env_file=None, database_url=url, secret_key="crash-" + "c" * 40, env="test")  # type: ignore[call-arg]
    svc = build_services(settings)
    i = 0
    while True:
        rid = svc.desk.escalate(f"{prefix} question {i} about a treatment", caller_phone="+15550007777").request_id
        print(f"created {rid}", flush=True)
        svc.desk.answer(rid, f"answer {i}", by="crash@example.com", add_to_kb=True)
        print(f"answered {rid}", flush=True)
        i += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
