"""The caller's side of a hand-off: `GET /api/v1/calls/{id}` says `on_hold`/`held_by`, the caller page's
stream `/call/{id}/events` wakes it when a supervisor's line is written, and the dashboard fetches only
the offer cards its event stream announced (`/transfers/offers?ids=`)."""

from __future__ import annotations

import queue
import threading

from flask import Flask
from flask.testing import FlaskClient

from frontdesk.demo import seed_demo
from frontdesk.services import Services
from frontdesk.web.call_events import CallFeed, caller_stream

from .test_transfers_web import bearer, go_online


def _held_call(app: Flask, svc: Services, token: str) -> tuple[FlaskClient, str, int]:
    seed_demo(svc.db, svc.clock, svc.knowledge)
    go_online(svc)
    caller = app.test_client()
    cid = caller.post("/api/v1/calls", json={"caller_phone": "+15550003333"}).get_json()["id"]
    call = caller.get(f"/api/v1/calls/{cid}").get_json()
    assert (call["on_hold"], call["held_by"]) == (False, None)
    caller.post(f"/api/v1/calls/{cid}/messages", json={"text": "Can I talk to someone, please?"})
    call = caller.get(f"/api/v1/calls/{cid}").get_json()
    assert (call["on_hold"], call["held_by"]) == (True, None)  # offered: waiting for a person
    tid = svc.transfers.store.recent("offered")[0].id
    return caller, cid, tid


def test_the_call_says_on_hold_while_offered_and_held(app: Flask, web_services: Services, token: str) -> None:
    caller, cid, tid = _held_call(app, web_services, token)
    assert app.test_client().post(f"/api/v1/transfers/{tid}/accept", headers=bearer(token)).status_code == 200
    call = caller.get(f"/api/v1/calls/{cid}").get_json()
    assert (call["on_hold"], call["held_by"]) == (True, "Sam")
    assert app.test_client().post(f"/api/v1/calls/{cid}/release", headers=bearer(token)).status_code == 200
    call = caller.get(f"/api/v1/calls/{cid}").get_json()
    assert (call["on_hold"], call["held_by"]) == (False, None)
    caller.post(f"/api/v1/calls/{cid}/end")
    call = caller.get(f"/api/v1/calls/{cid}").get_json()
    assert call["status"] == "ended" and call["on_hold"] is False
    schema = caller.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Call"]["properties"]
    assert {"on_hold", "held_by"} <= set(schema)
    web_services.stop()


def test_the_caller_stream_wakes_on_the_supervisors_line(app: Flask, web_services: Services, token: str) -> None:
    _caller, cid, tid = _held_call(app, web_services, token)
    sup = app.test_client()
    assert sup.post(f"/api/v1/transfers/{tid}/accept", headers=bearer(token)).status_code == 200
    # A long poll interval: only the in-process signal can wake the feed in time for this test.
    feed = CallFeed(web_services.db, web_services.signals, poll_seconds=3600)
    chunks: queue.Queue[str] = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        for chunk in caller_stream(feed, cid, lambda: True, lifetime=30, disconnected=stop.is_set):
            chunks.put(chunk)
            if stop.is_set():
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert "event: update" in chunks.get(timeout=10)  # at once: lines written before the stream opened
    r = sup.post(f"/api/v1/calls/{cid}/supervisor-messages", json={"text": "Hi, Sam here."}, headers=bearer(token))
    assert r.status_code == 201
    assert "event: update" in chunks.get(timeout=10)
    stop.set()
    reader.join(10)
    assert feed.count() == 0  # the stream let go of its subscription
    web_services.stop()


def test_the_caller_stream_route(app: Flask, web_services: Services, token: str) -> None:
    caller, cid, _tid = _held_call(app, web_services, token)
    assert caller.get("/call/nothere/events").status_code == 404
    assert caller.get("/call/" + "x" * 65 + "/events").status_code == 404
    r = caller.get(f"/call/{cid}/events", buffered=False)
    assert r.status_code == 200 and r.mimetype == "text/event-stream"
    assert "event: update" in next(r.response).decode()
    r.close()
    caller.post(f"/api/v1/calls/{cid}/end")
    assert caller.get(f"/call/{cid}/events").status_code == 409
    web_services.stop()


def test_offer_cards_by_id(client: FlaskClient, web_services: Services, app: Flask) -> None:
    seed_demo(web_services.db, web_services.clock, web_services.knowledge)
    go_online(web_services)
    caller = app.test_client()
    cids = [caller.post("/api/v1/calls", json={"caller_phone": f"+1555000444{n}"}).get_json()["id"] for n in range(2)]
    for cid in cids:
        caller.post(f"/api/v1/calls/{cid}/messages", json={"text": "Can I talk to the manager?"})
    first, second = sorted(t.id for t in web_services.transfers.store.recent("offered"))
    page = client.get(f"/transfers/offers?ids={second}").get_data(as_text=True)
    assert f'id="offer-{second}"' in page and f'id="offer-{first}"' not in page
    page = client.get("/transfers/offers").get_data(as_text=True)
    assert f'id="offer-{second}"' in page and f'id="offer-{first}"' in page
    for bad in ("x", "1,,2;", "9" * 11, "2147483648", ",".join(["1"] * 21), "１"):
        assert client.get("/transfers/offers", query_string={"ids": bad}).status_code == 400, bad
    web_services.stop()
