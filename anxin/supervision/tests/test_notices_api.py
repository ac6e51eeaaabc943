# ruff: noqa: F811  (the fixtures are imported from notice_fixtures by name)
"""/api/v1/supervision-notices: the contract and its error shapes (Chinese messages)."""

from __future__ import annotations

import pytest

from anxin.supervision.models_notices import SupervisionNotice
from anxin.supervision.tests.notice_fixtures import (  # noqa: F401
    in_days,
    issuer,
    letter,
    notified,
    office,
    register,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/supervision-notices"


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_issue_read_reply_send_back_accept(client_for, personas, issuer, notified):
    api = client_for(issuer)
    response = post(
        api,
        URL,
        {"kind": "letter", "unit": "T1", "matters": "请说明。", "reply_by": in_days(6).isoformat()},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["kind"], data["status"], data["unit"], data["issuing_unit"]["code"]) == (
        "letter",
        "pending",
        {"code": "T1", "name": "一街道"},
        "D1S",
    )
    assert data["number"].startswith("督办〔") and data["replies"] == []
    nid = data["id"]
    head = client_for(personas.same)
    assert head.get(f"{URL}/{nid}").json()["number"] == data["number"]
    response = post(head, f"{URL}/{nid}/actions/reply", {"text": "已说明。"})
    assert response.status_code == 200
    assert response.json()["status"] == "replied"
    assert response.json()["replies"][0]["text"] == "已说明。"
    # The addressed unit cannot accept its own reply.
    response = post(head, f"{URL}/{nid}/actions/accept", {})
    assert response.status_code == 403
    assert response.json() == {"message": "您无权执行此操作。", "code": "forbidden", "extra": {}}
    response = post(api, f"{URL}/{nid}/actions/send_back", {"reason": "不完整。"})
    assert response.status_code == 400
    assert response.json()["extra"]["fields"] == {"reply_by": ["请输入有效日期。"]}
    response = post(
        api,
        f"{URL}/{nid}/actions/send_back",
        {"reason": "不完整。", "reply_by": in_days(3).isoformat()},
    )
    assert (response.json()["status"], response.json()["round"]) == ("pending", 2)
    post(head, f"{URL}/{nid}/actions/reply", {"text": "补充。"})
    response = post(api, f"{URL}/{nid}/actions/accept", {})
    assert response.json()["status"] == "closed"
    assert [r["decision"] for r in response.json()["replies"]] == ["sent_back", "accepted"]


def test_errors(client_for, personas, issuer, letter):
    api = client_for(issuer)
    response = post(
        api,
        URL,
        {"kind": "letter", "unit": "T1", "matters": "", "reply_by": in_days(2).isoformat()},
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "请写明督办事项。",
        "code": "invalid",
        "extra": {"fields": {"matters": ["请写明督办事项。"]}},
    }
    response = post(
        api,
        URL,
        {"kind": "letter", "unit": "NOPE", "matters": "x", "reply_by": in_days(2).isoformat()},
    )
    assert response.json()["message"] == "未知单位：NOPE"
    response = post(api, f"{URL}/{letter.uid}/actions/accept", {})
    assert response.status_code == 409
    assert response.json()["message"] == "没有待审核的答复。"
    assert response.json()["code"] == "invalid_state"
    response = post(api, f"{URL}/{letter.uid}/actions/approve", {})
    assert response.status_code == 404
    stale = post(
        client_for(personas.same),
        f"{URL}/{letter.uid}/actions/reply",
        {"text": "答复", "version": 9},
    )
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"


def test_outsiders_and_siblings_get_404(client_for, personas, letter):
    for person in (personas.sibling, personas.outsider):
        api = client_for(person)
        assert api.get(f"{URL}/{letter.uid}").status_code == 404
        assert api.get(URL).json()["count"] == 0
        response = post(api, f"{URL}/{letter.uid}/actions/reply", {"text": "x"})
        assert response.status_code == 404
        assert response.json()["message"] == "未找到。"
    assert SupervisionNotice.objects.get().status == "pending"
