"""What a user gets from the chat, over real HTTP on both databases."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import Tenant
from tests.helpers import insert_runner, insert_task


def lima_today() -> date:
    return datetime.now(ZoneInfo("America/Lima")).date()


def ask(client: httpx.Client, thread_id: str, content: str, **extra: object) -> dict:
    response = client.post(f"/v1/threads/{thread_id}/messages", json={"content": content, **extra})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def admin(tenant: Tenant) -> httpx.Client:
    return tenant.client("admin")


@pytest.fixture
def thread(admin: httpx.Client) -> str:
    response = admin.post("/v1/threads")
    assert response.status_code == 201
    return response.json()["id"]


def test_hola_gets_a_friendly_spanish_greeting(admin: httpx.Client, thread: str) -> None:
    reply = ask(admin, thread, "hola")
    assert (reply["route"], reply["intent"]) == ("direct", "greeting")
    assert reply["role"] == "assistant"
    assert reply["content"].startswith("¡Hola, Admin!")
    assert "¿En qué te ayudo" in reply["content"]


def test_english_help_lists_capabilities_and_connected_runners(
    tenant: Tenant, admin: httpx.Client, thread: str, backend
) -> None:
    insert_runner(backend, tenant.company_id, "ventas-db")
    reply = ask(admin, thread, "hello, what can you do?")
    assert (reply["route"], reply["intent"]) == ("direct", "help")
    content = reply["content"]
    assert "Here is what I can do" in content
    assert "ventas-db (offline)" in content
    assert "Excel" in content and "PDF" in content and "transcribe" in content


def test_help_says_when_no_runner_is_registered(admin: httpx.Client, thread: str) -> None:
    reply = ask(admin, thread, "¿qué puedes hacer?")
    assert reply["intent"] == "help"
    assert "no hay ningún Local Runner registrado" in reply["content"]


def test_sales_yesterday_is_a_data_question_with_concrete_dates(
    admin: httpx.Client, thread: str
) -> None:
    reply = ask(admin, thread, "¿Cuánto vendimos ayer?")
    yesterday = (lima_today() - timedelta(days=1)).isoformat()
    assert (reply["route"], reply["intent"]) == ("runner", "data_query")
    assert reply["slots"]["metric"] == "sales"
    assert reply["slots"]["period"]["start"] == yesterday
    assert reply["slots"]["period"]["end"] == yesterday
    assert reply["slots"]["period"]["label"] == "yesterday"
    assert reply["data"] is None
    assert "No hay ningún Local Runner conectado" in reply["content"]
    assert date.fromisoformat(yesterday).strftime("%d/%m/%Y") in reply["content"]


def test_offline_runner_is_named_in_the_answer(
    tenant: Tenant, admin: httpx.Client, thread: str, backend
) -> None:
    insert_runner(backend, tenant.company_id, "erp-lima")
    reply = ask(admin, thread, "dame las ventas de hoy")
    assert reply["route"] == "runner"
    assert "«erp-lima»" in reply["content"]


def test_member_is_politely_refused_data_questions(tenant: Tenant) -> None:
    member = tenant.client("member")
    thread = member.post("/v1/threads").json()["id"]
    reply = ask(member, thread, "¿Cuánto vendimos ayer?")
    assert (reply["route"], reply["intent"]) == ("denied", "data_query")
    assert reply["content"].startswith("Lo siento")
    assert "(member)" in reply["content"]


def test_analyst_may_ask_data_questions(tenant: Tenant) -> None:
    analyst = tenant.client("analyst")
    thread = analyst.post("/v1/threads").json()["id"]
    assert ask(analyst, thread, "how much did we sell last week?")["route"] == "runner"


@pytest.mark.parametrize(
    ("content", "route", "intent", "asks_for"),
    [
        ("analiza este Excel", "task", "file_analysis", "un archivo"),
        ("compara estos dos archivos", "task", "file_compare", "dos archivos"),
        ("hazme un reporte en PDF con esto", "task", "report", "un archivo"),
    ],
)
def test_file_work_without_files_asks_for_them_and_starts_nothing(
    admin: httpx.Client, thread: str, content: str, route: str, intent: str, asks_for: str
) -> None:
    reply = ask(admin, thread, content)
    assert (reply["route"], reply["intent"]) == (route, intent)
    assert reply["task_id"] is None
    assert f"necesito {asks_for}" in reply["content"] and "POST /v1/files" in reply["content"]


@pytest.mark.parametrize(
    ("content", "route", "intent"),
    [
        ("genera una imagen para la campaña de navidad", "ai", "image_generation"),
        ("transcribe este audio", "ai", "transcription"),
        ("redacta un correo a los clientes sobre el cambio de horario", "ai", "long_text"),
    ],
)
def test_ai_work_is_routed_and_answered_honestly(
    admin: httpx.Client, thread: str, content: str, route: str, intent: str
) -> None:
    reply = ask(admin, thread, content)
    assert (reply["route"], reply["intent"]) == (route, intent)
    assert reply["task_id"] is None
    assert "no inicié" in reply["content"] or "no lo inicié" in reply["content"]


def test_member_is_refused_ai_generation(tenant: Tenant) -> None:
    member = tenant.client("member")
    thread = member.post("/v1/threads").json()["id"]
    reply = ask(member, thread, "genera una imagen de nuestro logo en navidad")
    assert (reply["route"], reply["intent"]) == ("denied", "image_generation")


def test_follow_up_keeps_the_previous_question(admin: httpx.Client, thread: str) -> None:
    ask(admin, thread, "¿Cuánto vendimos ayer por región?")
    reply = ask(admin, thread, "¿y la semana pasada?")
    today = lima_today()
    last_monday = today - timedelta(days=today.weekday() + 7)
    assert (reply["route"], reply["intent"]) == ("runner", "data_query")
    assert reply["slots"]["metric"] == "sales"
    assert reply["slots"]["group_by"] == "region"
    assert reply["slots"]["period"]["start"] == last_monday.isoformat()
    assert reply["slots"]["period"]["end"] == (last_monday + timedelta(days=6)).isoformat()


def test_follow_up_in_english_keeps_filters(admin: httpx.Client, thread: str) -> None:
    ask(admin, thread, "units sold for customer Acme Corp this month")
    reply = ask(admin, thread, "and last month?")
    assert reply["intent"] == "data_query"
    assert reply["slots"]["metric"] == "units"
    assert reply["slots"]["filters"] == {"customer": "Acme Corp"}
    assert reply["slots"]["period"]["label"] == "last_month"
    assert reply["content"].startswith("I understood")


def test_out_of_scope_is_declined_in_the_users_language(admin: httpx.Client, thread: str) -> None:
    reply = ask(admin, thread, "who won the world cup in 2022?")
    assert (reply["route"], reply["intent"]) == ("direct", "other")
    assert reply["content"].startswith("I can't help with that here")


def test_task_status_answers_from_the_users_own_tasks(tenant: Tenant, backend) -> None:
    task_id = insert_task(backend, tenant.company_id, tenant.user_ids["analyst"], kind="report")
    insert_task(backend, tenant.company_id, tenant.user_ids["admin"], kind="compare")
    analyst = tenant.client("analyst")
    thread = analyst.post("/v1/threads").json()["id"]
    reply = ask(analyst, thread, "¿cómo va mi reporte?")
    assert (reply["route"], reply["intent"]) == ("direct", "task_status")
    assert f"report ({task_id}): en curso, 40 %" in reply["content"]
    assert "compare" not in reply["content"]


def test_task_status_without_tasks_says_so(admin: httpx.Client, thread: str) -> None:
    reply = ask(admin, thread, "is my report ready yet?")
    assert reply["intent"] == "task_status"
    assert reply["content"] == "You have no running or recent tasks."


def test_explicit_command_skips_the_classifier(admin: httpx.Client, thread: str) -> None:
    reply = ask(admin, thread, "/ayuda")
    assert (reply["intent"], reply["confidence"]) == ("help", 1.0)


def test_every_turn_is_stored_in_order(admin: httpx.Client, thread: str) -> None:
    for content in ("hola", "¿Cuánto vendimos ayer?", "gracias"):
        ask(admin, thread, content)
    stored = admin.get(f"/v1/threads/{thread}").json()
    assert [m["role"] for m in stored["messages"]] == ["user", "assistant"] * 3
    assert [m["content"] for m in stored["messages"][::2]] == [
        "hola",
        "¿Cuánto vendimos ayer?",
        "gracias",
    ]
    assert stored["messages"][3]["route"] == "runner"
    assert stored["title"] == "hola"


def test_messages_page_forward_with_after(admin: httpx.Client, thread: str) -> None:
    for content in ("hola", "help", "gracias"):
        ask(admin, thread, content)
    first = admin.get(f"/v1/threads/{thread}", params={"limit": 4}).json()
    assert len(first["messages"]) == 4 and first["has_more"] is True
    rest = admin.get(
        f"/v1/threads/{thread}", params={"limit": 4, "after": first["messages"][-1]["id"]}
    ).json()
    assert [m["role"] for m in rest["messages"]] == ["user", "assistant"]
    assert rest["messages"][0]["content"] == "gracias"
    assert rest["has_more"] is False


def test_threads_page_newest_first(tenant: Tenant) -> None:
    client = tenant.client("analyst")
    ids = [client.post("/v1/threads", json={"title": f"t{i}"}).json()["id"] for i in range(5)]
    page1 = client.get("/v1/threads", params={"limit": 3}).json()
    assert [t["id"] for t in page1["data"]] == ids[::-1][:3]
    page2 = client.get("/v1/threads", params={"limit": 3, "cursor": page1["next_cursor"]}).json()
    assert [t["id"] for t in page2["data"]] == ids[::-1][3:]
    assert page2["next_cursor"] is None


def test_unknown_file_ids_are_404_and_nothing_is_stored(admin: httpx.Client, thread: str) -> None:
    response = admin.post(
        f"/v1/threads/{thread}/messages",
        json={"content": "analiza este excel", "file_ids": ["file_missing"]},
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert admin.get(f"/v1/threads/{thread}").json()["messages"] == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"content": ""},
        {"content": "x" * 20_001},
        {"content": 5},
        {"content": "hola", "file_ids": "f"},
    ],
)
def test_bad_message_bodies_are_422(admin: httpx.Client, thread: str, body: dict) -> None:
    response = admin.post(f"/v1/threads/{thread}/messages", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"
    assert admin.get(f"/v1/threads/{thread}").json()["messages"] == []


def test_malformed_json_is_422(admin: httpx.Client, thread: str) -> None:
    response = admin.post(
        f"/v1/threads/{thread}/messages",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_old_checkpoints_are_pruned_as_a_thread_grows(
    admin: httpx.Client, thread: str, backend
) -> None:
    from sqlalchemy import create_engine, text

    from ln1.db.migrate import sync_url

    for n in range(21):
        ask(admin, thread, "gracias" if n % 2 else "hola")
    engine = create_engine(sync_url(backend.settings.sqlalchemy_url))
    try:
        with engine.connect() as conn:
            count = conn.execute(
                text("SELECT COUNT(*) FROM checkpoints WHERE thread_id = :t"), {"t": thread}
            ).scalar_one()
    finally:
        engine.dispose()
    assert count == 2  # pruned to the latest at turn 20, then turn 21 added one
    assert len(admin.get(f"/v1/threads/{thread}").json()["messages"]) == 42
    assert ask(admin, thread, "hola")["intent"] == "greeting"
