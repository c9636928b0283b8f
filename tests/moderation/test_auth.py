"""Signing in, sessions, CSRF, lockout, password change and per-site limits."""

from __future__ import annotations

from fastapi.testclient import TestClient

from afterword.moderation import auth
from moderation.mod_kit import PASSWORD, add_comment, csrf_of, make_user, sign_in, status_of


def test_pages_need_a_session(client):
    r = client.get("/admin/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin/login"


def test_sign_in_sets_a_locked_down_cookie(client, owner):
    r = client.post("/admin/login", data={"username": "olivia", "password": PASSWORD},
                    follow_redirects=False)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # plain HTTP here; behind HTTPS it is Secure (next test)
    page = client.get("/admin/queue")
    assert page.status_code == 200 and "olivia" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


def test_cookie_is_secure_over_https(app, owner):
    with TestClient(app, base_url="https://testserver") as c:
        r = c.post("/admin/login", data={"username": "olivia", "password": PASSWORD},
                   follow_redirects=False)
    assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_is_refused_plainly(client, owner):
    r = client.post("/admin/login", data={"username": "olivia", "password": "nope"})
    assert r.status_code == 401 and "wrong username or password" in r.text


def test_account_locks_after_repeated_failures(client, owner):
    for _ in range(auth.LOCK_AFTER):
        client.post("/admin/login", data={"username": "olivia", "password": "wrong"})
    r = client.post("/admin/login", data={"username": "olivia", "password": PASSWORD})
    assert r.status_code == 401 and "locked" in r.text


def test_sign_in_attempts_are_throttled_per_address(client, owner):
    for i in range(auth.IP_ATTEMPTS):
        client.post("/admin/login", data={"username": f"nobody{i}", "password": "x"})
    r = client.post("/admin/login", data={"username": "olivia", "password": PASSWORD})
    assert r.status_code == 401 and "too many sign-in attempts" in r.text


def test_forged_csrf_token_is_refused(signed_in, sessions, sites):
    client, _ = signed_in
    cid = add_comment(sessions, sites[0])
    r = client.post(f"/admin/comments/{cid}/approve", data={"csrf": "0" * 64})
    assert r.status_code == 403 and "did not come from your current session" in r.text
    r = client.post(f"/admin/comments/{cid}/approve")
    assert r.status_code == 403
    assert status_of(sessions, cid) == "pending"


def test_token_of_an_ended_session_is_refused(app, owner, sessions, sites):
    cid = add_comment(sessions, sites[0])
    with TestClient(app) as first:
        old = sign_in(first, "olivia")
        first.post("/admin/logout", data={"csrf": old})
        # The old cookie no longer opens a session...
        assert first.get("/admin/queue", follow_redirects=False).status_code == 303
    with TestClient(app) as second:
        sign_in(second, "olivia")
        # ...and its token does not work in a new one.
        r = second.post(f"/admin/comments/{cid}/approve", data={"csrf": old})
        assert r.status_code == 403
    assert status_of(sessions, cid) == "pending"


def test_password_change_signs_out_other_sessions(app, owner):
    with TestClient(app) as laptop, TestClient(app) as phone:
        token = sign_in(laptop, "olivia")
        sign_in(phone, "olivia")
        r = laptop.post("/admin/account/password", data={
            "csrf": token, "current": PASSWORD, "new": "a new long password",
            "confirm": "a new long password"})
        assert r.status_code == 200 and "Password changed" in r.text
        assert phone.get("/admin/queue", follow_redirects=False).status_code == 303
        assert laptop.get("/admin/queue").status_code == 200
    with TestClient(app) as again:
        sign_in(again, "olivia", "a new long password")


def test_password_change_with_wrong_current_password(signed_in):
    client, token = signed_in
    r = client.post("/admin/account/password", data={
        "csrf": token, "current": "wrong", "new": "whatever long", "confirm": "whatever long"})
    assert r.status_code == 400 and "current password is wrong" in r.text


def test_moderator_cannot_touch_another_sites_comments(client, sessions, sites):
    blog, news = sites
    make_user(sessions, "mo", site_ids=[blog])
    token = sign_in(client, "mo")
    theirs = add_comment(sessions, news, "On the news site")
    mine = add_comment(sessions, blog, "On the blog")
    r = client.post(f"/admin/comments/{theirs}/approve", data={"csrf": token})
    assert r.status_code == 403 and "do not moderate" in r.text
    assert status_of(sessions, theirs) == "pending"
    # Bulk with both: only the own site's comment changes.
    client.post("/admin/bulk", data={"csrf": token, "action": "approve",
                                     "ids": [str(theirs), str(mine)]})
    assert status_of(sessions, theirs) == "pending"
    assert status_of(sessions, mine) == "published"
    # The other site's comments do not even show in the queue.
    page = client.get("/admin/queue?status=pending").text
    assert "On the news site" not in page
    assert client.get(f"/admin/sites/{news}").status_code == 403


def test_logout_needs_the_token(signed_in):
    client, token = signed_in
    assert client.post("/admin/logout", data={"csrf": "bad"}).status_code == 403
    assert client.get("/admin/queue").status_code == 200
    r = client.post("/admin/logout", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 303
    assert csrf_of is not None


def test_cross_site_posts_are_refused_by_origin(signed_in, sessions, sites):
    client, token = signed_in
    cid = add_comment(sessions, sites[0])
    r = client.post(f"/admin/comments/{cid}/approve", data={"csrf": token},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403 and "sent from another site" in r.text
    r = client.post("/admin/login", data={"username": "olivia", "password": PASSWORD},
                    headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = client.post(f"/admin/comments/{cid}/approve", data={"csrf": token},
                    headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert r.status_code == 303 and status_of(sessions, cid) == "published"


def test_expired_session_sends_htmx_to_the_sign_in_page(client):
    r = client.post("/admin/comments/1/approve", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/admin/login"


def test_owner_limits_a_moderator_to_some_sites(signed_in, app, sessions, sites):
    client, token = signed_in
    blog, news = sites
    mo = make_user(sessions, "mo")
    r = client.post(f"/admin/team/{mo}", data={"csrf": token, "email": "mo@team.example",
                                               "sites": [str(news), "999"]},
                    follow_redirects=True)
    assert "Saved" in r.text
    add_comment(sessions, blog, "blog comment")
    with TestClient(app) as other:
        mo_token = sign_in(other, "mo")
        assert "blog comment" not in other.get("/admin/queue").text
        assert other.get("/admin/team").status_code == 403
        r = other.post(f"/admin/team/{mo}", data={"csrf": mo_token, "sites": [str(blog)]})
        assert r.status_code == 403 and "only owners" in r.text
