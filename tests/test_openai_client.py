"""The official ``openai`` client, unmodified, against ``/v1/chat/completions``."""

from __future__ import annotations

import openai
import pytest

from tests.conftest import Tenant


def client_for(tenant: Tenant, role: str = "admin") -> openai.OpenAI:
    return openai.OpenAI(
        base_url=f"{tenant.base_url}/v1", api_key=tenant.keys[role], max_retries=0, timeout=30
    )


def test_completion_answers_in_spanish(tenant: Tenant) -> None:
    response = client_for(tenant).chat.completions.create(
        model="ln1", messages=[{"role": "user", "content": "hola"}]
    )
    choice = response.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content.startswith("¡Hola")
    assert response.model_extra["ln1"]["intent"] == "greeting"


def test_streaming_completion_reassembles_the_answer(tenant: Tenant) -> None:
    stream = client_for(tenant).chat.completions.create(
        model="ln1",
        messages=[{"role": "user", "content": "hello, what can you do?"}],
        stream=True,
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text.startswith("I'm Empresa")
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["ln1"]["route"] == "direct"


def test_stateless_history_keeps_the_follow_up_context(tenant: Tenant) -> None:
    response = client_for(tenant).chat.completions.create(
        model="ln1",
        messages=[
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "top 10 productos este año"},
            {"role": "assistant", "content": "(respuesta anterior)"},
            {"role": "user", "content": "¿y el año pasado?"},
        ],
    )
    ln1 = response.model_extra["ln1"]
    assert ln1["intent"] == "data_query"
    assert ln1["slots"]["group_by"] == "product"
    assert ln1["slots"]["limit"] == 10
    assert ln1["slots"]["period"]["label"] == "last_year"


def test_thread_id_continues_an_ln1_thread(tenant: Tenant) -> None:
    client = client_for(tenant)
    first = client.chat.completions.create(
        model="ln1", messages=[{"role": "user", "content": "ventas por vendedor de ayer"}]
    )
    thread_id = first.model_extra["ln1"]["thread_id"]
    second = client.chat.completions.create(
        model="ln1",
        messages=[{"role": "user", "content": "¿y hoy?"}],
        extra_body={"thread_id": thread_id},
    )
    assert second.model_extra["ln1"]["thread_id"] == thread_id
    assert second.model_extra["ln1"]["slots"]["group_by"] == "seller"
    stored = tenant.client().get(f"/v1/threads/{thread_id}").json()["messages"]
    assert len(stored) == 4


def test_models_list_names_ln1(tenant: Tenant) -> None:
    assert [m.id for m in client_for(tenant).models.list()] == ["ln1"]


def test_bad_key_raises_authentication_error(tenant: Tenant) -> None:
    client = openai.OpenAI(base_url=f"{tenant.base_url}/v1", api_key="ln1_sk_wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="ln1", messages=[{"role": "user", "content": "hola"}])


def test_last_message_must_be_from_the_user(tenant: Tenant) -> None:
    with pytest.raises(openai.UnprocessableEntityError):
        client_for(tenant).chat.completions.create(
            model="ln1", messages=[{"role": "assistant", "content": "hola"}]
        )
