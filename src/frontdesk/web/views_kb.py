"""Supervisor pages for the knowledge base and the business profile."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from frontdesk.agent.profile import load_profile
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.knowledge.duplicates import DuplicateEntry, near_duplicate
from frontdesk.models import KB_STATUSES, KnowledgeEntry
from frontdesk.web import profile as profile_store
from frontdesk.web import queries
from frontdesk.web.apiutil import MAX_ID, page_number
from frontdesk.web.auth import current_supervisor, login_required
from frontdesk.web.redirects import safe_next

bp = Blueprint("kb", __name__)
KB_PAGE = 30
# The status change each button asks for.
ACTIONS = {"approve": "active", "reject": "archived", "archive": "archived", "restore": "active"}


def _services() -> Any:
    return current_app.extensions["frontdesk"]


def _me() -> str:
    sup = current_supervisor()
    return sup.email if sup is not None else "unknown"


def list_entries(s: Session, *, status: str = "", q: str = "", page: int = 1,
                 per_page: int = KB_PAGE) -> tuple[list[KnowledgeEntry], int]:
    """A page of entries (newest first) matching a status and a substring of question or answer."""
    where = []
    if status in KB_STATUSES:
        where.append(KnowledgeEntry.status == status)
    if q:
        like = queries.like_pattern(q)
        where.append(or_(KnowledgeEntry.question.ilike(like, escape="\\"),
                         KnowledgeEntry.answer.ilike(like, escape="\\")))
    rows = list(s.scalars(select(KnowledgeEntry).where(*where).order_by(KnowledgeEntry.id.desc())
                          .limit(per_page).offset((page - 1) * per_page)))
    total = s.scalar(select(func.count()).select_from(KnowledgeEntry).where(*where)) or 0
    return rows, total


@bp.get("/knowledge")
@login_required
def knowledge() -> Any:
    """List, search and curate entries; shows what the agent would answer for the searched question."""
    q = queries.clean_query(request.args.get("q"))
    status = request.args.get("status", "")
    status = status if status in KB_STATUSES or status == "all" else ""
    page = page_number(request.args.get("page"))
    raw_entry = request.args.get("entry", "")
    only = int(raw_entry) if raw_entry.isdigit() and 0 < int(raw_entry) <= MAX_ID else None
    with _services().db.read() as s:
        if only is not None:  # one entry, linked from a duplicate warning or the "would answer" panel
            found = s.get(KnowledgeEntry, only)
            entries, total = ([found], 1) if found is not None else ([], 0)
        else:
            entries, total = list_entries(s, status="" if status == "all" else status, q=q, page=page)
        counts = dict(s.execute(select(KnowledgeEntry.status, func.count()).group_by(KnowledgeEntry.status)).all())
    agent = _services().knowledge.search(q) if q else None
    conflicts = _services().knowledge.possible_conflicts(entries)
    profile = load_profile(_services().db)
    # The profile answers these questions first (it is the source of truth): the entry is never used.
    shadowed = {e.id for e in entries if e.status == "active" and profile.lookup(e.question)}
    return render_template("knowledge.html", entries=entries, total=total, q=q, status=status, page=page, only=only,
                           pages=max(1, -(-total // KB_PAGE)), counts=counts, agent=agent,
                           conflicts=conflicts, shadowed=shadowed,
                           review_required=_services().settings.kb_review_required)


def _back() -> Any:
    return redirect(safe_next(request.form.get("next"), url_for("kb.knowledge"), prefix="/knowledge"))


@bp.post("/knowledge")
@login_required
def add_entry() -> Any:
    """Add an entry by hand."""
    try:
        entry = _services().knowledge.create(request.form.get("question", ""), request.form.get("answer", ""),
                                             by=_me())
    except DuplicateEntry as exc:
        link = url_for("kb.knowledge", entry=exc.existing_id)
        flash(Markup('Not added: <a href="{}">entry #{}</a> already has this question; edit that one '
                     "instead.").format(link, exc.existing_id), "error")
        return _back()
    except InvalidInput as exc:
        flash(f"Not added: {exc}.", "error")
        return _back()
    flash(f"Entry #{entry.id} added; the agent uses it from now on.", "success")
    near = near_duplicate(_services().knowledge, entry.question, entry.id)
    if near is not None:
        flash(Markup('It looks a lot like <a href="{}">entry #{}</a> (“{}”). If they say the same thing, '
                     "archive one of them.").format(url_for("kb.knowledge", entry=near.id), near.id,
                                                    near.question), "info")
    return _back()


@bp.post("/knowledge/<int:entry_id>/edit")
@login_required
def edit_entry(entry_id: int) -> Any:
    """Change the wording of an entry's question or answer."""
    if entry_id > MAX_ID:
        abort(404)
    try:
        _services().knowledge.update(entry_id, by=_me(), question=request.form.get("question", ""),
                                     answer=request.form.get("answer", ""))
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        flash(f"Entry #{entry_id} not saved: {exc}.", "error")
        return _back()
    flash(f"Entry #{entry_id} saved.", "success")
    return _back()


@bp.post("/knowledge/<int:entry_id>/status")
@login_required
def set_status(entry_id: int) -> Any:
    """Approve or reject a learned entry awaiting review; archive or restore any entry."""
    if entry_id > MAX_ID:
        abort(404)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        flash("Unknown action.", "error")
        return _back()
    try:
        _services().knowledge.update(entry_id, by=_me(), status=ACTIONS[action])
    except NotFound:
        abort(404)
    past = {"approve": "approved", "reject": "rejected", "archive": "archived", "restore": "restored"}[action]
    flash(f"Entry #{entry_id} {past}.", "success")
    return _back()


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Any:
    """The business profile the agent speaks from; saved changes apply from the next call."""
    if request.method == "GET":
        return render_template("profile.html", p=profile_store.load(_services()))
    names = request.form.getlist("service_name")
    prices = request.form.getlist("service_price")
    durations = request.form.getlist("service_duration")
    services = [{"name": n, "price": p, "duration": d} for n, p, d in zip(names, prices, durations, strict=False)]
    changes = {k: request.form.get(k, "") for k in ("name", "phone", "address", "hours", "about")}
    changes["services"] = services  # type: ignore[assignment]
    changes["opening_hours"] = profile_store.hours_from_form(request.form)  # type: ignore[assignment]
    changes["timezone"] = request.form.get("timezone", "UTC")
    try:
        profile_store.save(_services(), changes, by=_me())
    except InvalidInput as exc:
        flash(f"Not saved: {exc}.", "error")
        return render_template("profile.html", p={**changes, "updated_at": None, "updated_by": None}), 400
    flash("Profile saved. The receptionist uses it from the next call.", "success")
    return redirect(url_for("kb.profile"))
