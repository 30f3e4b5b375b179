"""The civic JSON API on both databases: staff workflow by role, public views without internal notes or
contacts, duplicates, categories, accountability and the reporter's reopening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shahr.backoffice.auth_tables import StaffRole
from shahr.civic.geo import load_districts
from shahr.civic.reports import workflow
from shahr.civic.reports.settings import ReportSettings
from tests.civic.reports.conftest import AHMADABAD, HARAM, Api


def file(api: Api, code: str = "road_damage", place: tuple[float, float] = HARAM) -> workflow.Filed:
    with api.app.state.sessions() as session:
        new = workflow.NewReport(
            service_code=code,
            description="چراغ خاموش است؛ 0013542419",
            lat=place[0],
            lon=place[1],
            contact=workflow.Contact(phone="09150000000"),
        )
        filed = workflow.file_report(
            session, new, settings=ReportSettings(), districts=load_districts(), now=datetime.now(UTC)
        )
        session.commit()
        return filed


def test_triage_status_notes_and_public_view(api: Api) -> None:
    operator = api.staff(StaffRole.OPERATOR, "Sara (triage)")
    report_id = file(api).report.id
    queue = api.client.get("/civic/staff/triage", headers=operator).json()
    assert [item["id"] for item in queue] == [report_id]

    def step(path: str, body: dict[str, object]) -> dict[str, Any]:
        response = api.client.post(f"/civic/staff/reports/{report_id}/{path}", json=body, headers=operator)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    step("status", {"status": "acknowledged", "note": "دریافت شد"})
    step("assign", {"department": "ناحیه ثامن", "note": "واگذار شد"})
    step("notes", {"note": "محرمانه: شاکی همسایه است", "internal": True})
    step("notes", {"note": "فردا بازدید می‌شود", "internal": False})
    staff_view = step("status", {"status": "in_progress", "note": "اکیپ در راه است"})
    assert [e["kind"] for e in staff_view["events"]] == [
        "filed",
        "status",
        "assign",
        "internal_note",
        "note",
        "status",
    ]
    assert staff_view["events"][3]["actor"] == "Sara (triage)"
    assert api.client.get("/civic/staff/triage", headers=operator).json() == []  # no longer filed

    public = api.client.get(f"/civic/reports/{report_id}.json")
    assert public.status_code == 200
    assert (
        "محرمانه" not in public.text and "09150000000" not in public.text and "0013542419" not in public.text
    )
    body = public.json()
    assert body["status"] == "in_progress" and body["status_note"] == "اکیپ در راه است"
    assert body["description"] == "چراغ خاموش است؛ [national-id]"
    assert [e["kind"] for e in body["history"]] == ["filed", "status", "assign", "note", "status"]
    assert api.client.get("/civic/reports.json?status=in_progress").json()[0]["id"] == report_id

    refused = api.client.post(
        f"/civic/staff/reports/{report_id}/status",
        json={"status": "acknowledged", "note": "x"},
        headers=operator,
    )
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "transition_refused"
    finance = api.staff(StaffRole.FINANCE)
    forbidden = api.client.post(
        f"/civic/staff/reports/{report_id}/status", json={"status": "resolved", "note": "x"}, headers=finance
    )
    assert forbidden.status_code == 403
    assert api.client.get("/civic/staff/triage").status_code == 401
    missing = api.client.post(
        "/civic/staff/reports/9999/status", json={"status": "resolved", "note": "x"}, headers=operator
    )
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "report_not_found"


def test_duplicates_merge_and_reopen(api: Api) -> None:
    operator = api.staff()
    original = file(api, place=AHMADABAD)
    duplicate = file(api, place=(AHMADABAD[0] + 0.0002, AHMADABAD[1]))  # 22 m north
    found = api.client.get(f"/civic/staff/reports/{duplicate.report.id}/duplicates", headers=operator).json()
    assert [(d["report"]["id"], d["distance_m"]) for d in found] == [(original.report.id, 22.2)]
    merged = api.client.post(
        f"/civic/staff/reports/{duplicate.report.id}/merge",
        json={"into": original.report.id},
        headers=operator,
    ).json()
    assert (
        merged["report"]["status"] == "rejected" and merged["report"]["duplicate_of_id"] == original.report.id
    )

    api.client.post(
        f"/civic/staff/reports/{original.report.id}/status",
        json={"status": "resolved", "note": "ok"},
        headers=operator,
    ).raise_for_status()
    wrong = api.client.post(f"/civic/reports/{original.report.id}/reopen", json={"token": "x", "note": "نه"})
    assert wrong.status_code == 403
    reopened = api.client.post(
        f"/civic/reports/{original.report.id}/reopen", json={"token": original.token, "note": "هنوز خراب است"}
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "filed"
    assert [item["id"] for item in api.client.get("/civic/staff/triage", headers=operator).json()] == [
        original.report.id
    ]


def test_categories_are_editable_by_admins(api: Api) -> None:
    admin = api.staff(StaffRole.ADMIN)
    listed = api.client.get("/civic/staff/categories", headers=api.staff()).json()
    assert len(listed) == 11 and {c["sla_hours"] for c in listed} == {24, 48, 72, 120, 168}
    created = api.client.post(
        "/civic/staff/categories",
        headers=admin,
        json={
            "service_code": "stray_animals",
            "name_fa": "حیوانات رهاشده",
            "name_en": "Stray animals",
            "department": "سازمان سیما",
            "attributes": [
                {
                    "code": "kind",
                    "datatype": "singlevaluelist",
                    "description": "Kind",
                    "order": 1,
                    "values": [{"key": "dog", "name": "سگ"}],
                }
            ],
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["sla_hours"] == 72  # the default SLA
    changed = api.client.patch("/civic/staff/categories/stray_animals", headers=admin, json={"sla_hours": 12})
    assert changed.json()["sla_hours"] == 12
    services = api.client.get("/open311/v2/services.json").json()
    assert "stray_animals" in {s["service_code"] for s in services}
    api.client.patch("/civic/staff/categories/stray_animals", headers=admin, json={"active": False})
    assert api.client.get("/open311/v2/services/stray_animals.json").status_code == 404
    bad = api.client.post("/civic/staff/categories", headers=admin, json={"service_code": "Bad Code!"})
    assert bad.status_code == 422
    assert (
        api.client.patch("/civic/staff/categories/road_damage", headers=api.staff(), json={}).status_code
        == 403
    )


def test_accountability_json(api: Api) -> None:
    report_id = file(api).report.id
    operator = api.staff()
    api.client.post(
        f"/civic/staff/reports/{report_id}/status",
        json={"status": "resolved", "note": "ok"},
        headers=operator,
    ).raise_for_status()
    figures = api.client.get("/civic/accountability.json").json()
    assert figures["overall"]["filed"] == 1 and figures["overall"]["on_time_share"] == 1.0
    samen = next(d for d in figures["by_district"] if d["key"] == "samen")
    assert samen["closed_on_time"] == 1
    today = datetime.now(UTC).date()
    assert (
        api.client.get(
            f"/civic/accountability.json?since={today + timedelta(days=1)}&until={today}"
        ).status_code
        == 400
    )
    layer = api.client.get("/civic/districts.geojson")
    assert layer.headers["content-type"] == "application/geo+json" and len(layer.json()["features"]) == 14
