"""Authentication (401), permissions (403) and tenant isolation (404), over real HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tenant


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code
    assert body["error"]["trace_id"] == response.headers["x-trace-id"]


def test_missing_key_is_401(server) -> None:
    response = httpx.post(f"{server.url}/v1/threads")
    assert_error(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer  x y", "Basic dXNlcjpwYXNz", "ln1_sk_abc", "Bearer ln1_sk_" + "x" * 43],
)
def test_malformed_or_unknown_key_is_401(server, header: str) -> None:
    response = httpx.get(f"{server.url}/v1/threads", headers={"Authorization": header})
    assert_error(response, 401, "unauthenticated")


def test_key_works_for_each_role(tenant: Tenant) -> None:
    for role in ("admin", "analyst", "member"):
        me = tenant.client(role).get("/v1/me").json()
        assert me["role"] == role
        assert me["company"]["slug"] == tenant.slug


def test_revoked_key_is_401_at_once(tenant: Tenant) -> None:
    member = tenant.client("member")
    assert member.get("/v1/threads").status_code == 200
    revoke = tenant.client("admin").delete(f"/v1/keys/{tenant.key_ids['member']}")
    assert revoke.status_code == 204
    assert_error(member.get("/v1/threads"), 401, "unauthenticated")


def test_member_cannot_create_users(tenant: Tenant) -> None:
    response = tenant.client("member").post(
        "/v1/users", json={"email": "new@x.example", "role": "member"}
    )
    assert_error(response, 403, "permission_denied")


def test_admin_creates_user_whose_key_works(tenant: Tenant) -> None:
    created = tenant.client("admin").post(
        "/v1/users", json={"email": "nuevo@x.example", "role": "analyst", "name": "Nuevo"}
    )
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    me = httpx.get(f"{tenant.base_url}/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert me["email"] == "nuevo@x.example"
    assert "data:read" in me["permissions"]


def test_last_used_is_recorded(tenant: Tenant) -> None:
    client = tenant.client("analyst")
    client.get("/v1/me")
    keys = tenant.client("admin").get("/v1/users").json()["data"]
    analyst = next(u for u in keys if u["role"] == "analyst")
    assert analyst["keys"][0]["last_used_at"] is not None
    assert "key_hash" not in analyst["keys"][0]


class TestAnotherCompanysResourcesAre404:
    """Every resource id, presented with another company's key, answers 404."""

    @pytest.fixture
    def thread_id(self, tenant: Tenant) -> str:
        client = tenant.client("admin")
        thread = client.post("/v1/threads").json()["id"]
        client.post(f"/v1/threads/{thread}/messages", json={"content": "hola"})
        return thread

    def test_read_thread(self, thread_id: str, other_tenant: Tenant) -> None:
        assert_error(other_tenant.client().get(f"/v1/threads/{thread_id}"), 404, "not_found")

    def test_post_message(self, thread_id: str, other_tenant: Tenant) -> None:
        response = other_tenant.client().post(
            f"/v1/threads/{thread_id}/messages", json={"content": "hola"}
        )
        assert_error(response, 404, "not_found")

    def test_stream_message(self, thread_id: str, other_tenant: Tenant) -> None:
        response = other_tenant.client().post(
            f"/v1/threads/{thread_id}/messages", json={"content": "hola", "stream": True}
        )
        assert_error(response, 404, "not_found")

    def test_continue_in_chat_completions(self, thread_id: str, other_tenant: Tenant) -> None:
        response = other_tenant.client().post(
            "/v1/chat/completions",
            json={
                "model": "ln1",
                "messages": [{"role": "user", "content": "hola"}],
                "thread_id": thread_id,
            },
        )
        assert_error(response, 404, "not_found")

    def test_thread_not_listed(self, thread_id: str, other_tenant: Tenant) -> None:
        listed = other_tenant.client().get("/v1/threads").json()["data"]
        assert thread_id not in {t["id"] for t in listed}

    def test_revoke_key(self, tenant: Tenant, other_tenant: Tenant) -> None:
        response = other_tenant.client().delete(f"/v1/keys/{tenant.key_ids['member']}")
        assert_error(response, 404, "not_found")
        assert tenant.client("member").get("/v1/me").status_code == 200

    def test_task(self, tenant: Tenant, other_tenant: Tenant, backend) -> None:
        from tests.helpers import insert_task

        task_id = insert_task(backend, tenant.company_id, tenant.user_ids["admin"])
        assert tenant.client("admin").get(f"/v1/tasks/{task_id}").status_code == 200
        assert_error(other_tenant.client().get(f"/v1/tasks/{task_id}"), 404, "not_found")

    def test_runners_not_listed(self, tenant: Tenant, other_tenant: Tenant, backend) -> None:
        from tests.helpers import insert_runner

        insert_runner(backend, tenant.company_id, "ventas-db")
        assert [r["name"] for r in tenant.client().get("/v1/runners").json()["data"]] == [
            "ventas-db"
        ]
        assert other_tenant.client().get("/v1/runners").json()["data"] == []

    def test_unknown_ids_answer_the_same(self, other_tenant: Tenant) -> None:
        assert_error(other_tenant.client().get("/v1/threads/thr_nope"), 404, "not_found")
        assert_error(other_tenant.client().get("/v1/tasks/task_nope"), 404, "not_found")


def test_another_users_thread_is_404_in_the_same_company(tenant: Tenant) -> None:
    thread = tenant.client("analyst").post("/v1/threads").json()["id"]
    assert_error(tenant.client("member").get(f"/v1/threads/{thread}"), 404, "not_found")


def test_another_users_task_is_404_in_the_same_company(tenant: Tenant, backend) -> None:
    from tests.helpers import insert_task

    task_id = insert_task(backend, tenant.company_id, tenant.user_ids["analyst"])
    assert_error(tenant.client("member").get(f"/v1/tasks/{task_id}"), 404, "not_found")
