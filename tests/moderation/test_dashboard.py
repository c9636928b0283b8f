"""The dashboard: per-day chart, approve rate, measured engine errors, busiest, spam domains."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from afterword.moderation.dashboard import chart
from moderation.mod_kit import add_comment, make_user, sign_in


def test_dashboard_figures_come_from_moderator_corrections(signed_in, sessions, sites):
    client, token = signed_in
    blog = sites[0]
    flagged = [add_comment(sessions, blog, f"flagged {i} http://pills.example/x",
                           status="spam") for i in range(3)]
    let_through = add_comment(sessions, blog, "let through", status="published", url="/hot")
    for i in range(4):
        add_comment(sessions, blog, f"busy {i}", status="published", url="/hot")
    pending = add_comment(sessions, blog, "to approve")
    client.post(f"/admin/comments/{flagged[0]}/ham", data={"csrf": token})   # false positive
    client.post(f"/admin/comments/{let_through}/spam", data={"csrf": token})  # missed spam
    client.post(f"/admin/comments/{pending}/approve", data={"csrf": token})
    page = client.get("/admin/").text
    figure = {label: int(n) for n, label in re.findall(
        r"<strong>(\d+)</strong> (pending|false positives|missed spam|spam)", page)}
    assert figure["false positives"] == 1 and figure["missed spam"] == 1
    assert figure["spam"] == 3  # two still flagged + the one a moderator caught
    # Approve rate: 2 approvals (ham + approve) out of 3 decisions.
    assert "67%</strong> approve rate" in page
    assert "pills.example (2)" in page
    assert "https://blog.example/hot" in page
    assert "<svg" in page and 'role="img"' in page


def test_dashboard_respects_site_limits(client, sessions, sites):
    blog, news = sites
    make_user(sessions, "mo", site_ids=[blog])
    add_comment(sessions, news, "news spam http://other.example", status="spam")
    sign_in(client, "mo")
    page = client.get("/admin/").text
    assert "other.example" not in page and "News settings" not in page


def test_chart_draws_one_bar_pair_per_day_scaled_to_the_busiest():
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=2), 0, 0), (today - timedelta(days=1), 10, 0),
            (today, 5, 5)]
    svg = chart(days, width=300, height=120)
    assert svg.count("<rect") == 6 and svg.count("<title>") == 3
    heights = [float(h) for h in re.findall(r'height="([\d.]+)"', svg.split(">", 1)[1])]
    assert heights[2] == heights[4] + heights[5]   # a full day is as tall as ham + spam
    assert f"{today.isoformat()}: 5 comments, 5 spam" in svg
