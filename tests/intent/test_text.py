"""normalize, fold and detect_language: the shared text layer of the intent engine."""

import pytest

from ln1.orchestrator.intent.text import detect_language, fold, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("¿Cuánto VENDIMOS ayer?", "cuanto vendimos ayer"),
        ("¡Hola! Año, niño, pingüino", "hola ano, nino, pinguino"),
        ("Facturación   de\tla\nregión", "facturacion de la region"),
        ("  espacios  ", "espacios"),
    ],
)
def test_normalize_lowercases_strips_accents_and_collapses_spaces(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_keeps_characters_found_in_dates_and_numbers() -> None:
    assert normalize("del 24/11/2026 al 2026-11-30: 1.234,50") == (
        "del 24/11/2026 al 2026-11-30: 1.234,50"
    )


def test_normalize_replaces_other_punctuation_and_emoji_with_spaces() -> None:
    assert normalize('ventas (norte) "top" #1 😀 me_gusta!') == "ventas norte top 1 me gusta"


def test_normalize_strips_diacritics_outside_the_spanish_alphabet() -> None:
    assert normalize("Škoda Őrs İzmir café") == "skoda ors izmir cafe"


def test_normalize_of_empty_or_punctuation_only_text_is_empty() -> None:
    assert normalize("") == ""
    assert normalize("¿¡?! 😀") == ""


@pytest.mark.parametrize("raw", ["¿Cuánto vendió Peña?", "İstanbul ŞUBE", "plain ascii", "😀 ñ"])
def test_fold_keeps_every_character_at_its_index(raw: str) -> None:
    folded = fold(raw)

    assert len(folded) == len(raw)
    assert folded == folded.lower()


def test_fold_lets_a_span_found_in_folded_text_cut_the_original() -> None:
    raw = "Ventas del cliente Bodega Peña"
    start = fold(raw).index("bodega pena")

    assert raw[start : start + len("bodega pena")] == "Bodega Peña"


@pytest.mark.parametrize(
    "message",
    [
        "hola",
        "cuanto vendimos ayer",
        "¿Cuánto vendimos ayer?",
        "y la semana pasada?",
        "top 10 productos este año",
        "hazme un pdf",
        "dame las ventas por región",
        "gracias",
        "compara octubre con noviembre",
        "ventas",
    ],
)
def test_detect_language_recognises_spanish_chat(message: str) -> None:
    assert detect_language(message) == "es"


@pytest.mark.parametrize(
    "message",
    [
        "hi",
        "hello",
        "how much did we sell yesterday",
        "and last week?",
        "sales by region last month",
        "make me a pdf",
        "thanks",
        "show me the top customers",
        "sales",
    ],
)
def test_detect_language_recognises_english_chat(message: str) -> None:
    assert detect_language(message) == "en"


@pytest.mark.parametrize("message", ["ok", "Excel", "2025", "", "   ", "😀", "pdf", "top 10", "no"])
def test_detect_language_returns_none_without_evidence(message: str) -> None:
    assert detect_language(message) is None


def test_detect_language_takes_spanish_punctuation_as_evidence() -> None:
    assert detect_language("¿ok?") == "es"


def test_detect_language_ties_return_none() -> None:
    assert detect_language("hola hello") is None
