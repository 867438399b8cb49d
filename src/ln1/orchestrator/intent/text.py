"""Text helpers shared by the intent classifier and the slot extractors.

Chat messages arrive in Spanish or English, with or without accents, often typed
quickly on a phone. Everything downstream matches against a folded form of the
text so that "¿Cuánto vendimos?" and "cuanto vendimos" look the same.

Two folds exist on purpose:

* :func:`normalize` is the lossy form for classifying (punctuation dropped,
  whitespace collapsed).
* :func:`fold` keeps every character at its index, so a span found in the
  folded text can be cut from the original message with its casing and accents.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Accented letters common in Spanish/English chat, mapped one-to-one so folding
# stays length-preserving. Anything rarer falls back to unicodedata.
_ACCENTS = str.maketrans(
    "áàâäãåéèêëíìîïóòôöõúùûüñçýÿºª¿¡",
    "aaaaaaeeeeiiiiooooouuuuncyyoa  ",
)
_DROP_PUNCT = re.compile(r"[^\w\s/\-.,:]|_")
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[a-z]+")
_SPANISH_MARKS = re.compile(r"[¿¡ñÑáéíóúÁÉÍÓÚüÜ]")


@lru_cache(maxsize=1024)
def _fold_char(char: str) -> str:
    """Base letter of one rare accented character, or the character itself."""
    decomposed = unicodedata.normalize("NFD", char)
    if len(decomposed) > 1 and all(unicodedata.combining(c) for c in decomposed[1:]):
        base = decomposed[0].lower()
        return base if len(base) == 1 else decomposed[0]
    return char


def _lower_same_length(text: str) -> str:
    """Lowercase without changing length (a few letters, like 'İ', grow when lowered)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def fold(text: str) -> str:
    """Lowercase and strip accents one character for one character.

    ``fold(text)[i]`` always corresponds to ``text[i]``, which lets extractors
    match on folded text and still return the user's own spelling. ``¿`` and
    ``¡`` become spaces; other punctuation is kept because it delimits values.
    """
    folded = _lower_same_length(text).translate(_ACCENTS)
    if folded.isascii():
        return folded
    return "".join(_fold_char(c) if not c.isascii() else c for c in folded)


def normalize(text: str) -> str:
    """Fold a chat message into the form the classifier and extractors match on.

    Lowercase, accents removed, ``¿ ¡`` and punctuation other than the characters
    found in dates and numbers (``/ - . , :``) replaced by spaces, whitespace
    collapsed.
    """
    folded = fold(text)
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _SPACES.sub(" ", _DROP_PUNCT.sub(" ", folded)).strip()


def _word_set(block: str) -> frozenset[str]:
    return frozenset(block.split())


_ES_RAW = _word_set(
    """
    que cuanto cuanta cuantos cuantas de del la el los las ventas venta vendimos vendio
    vendido hola por para dame ayer semana mes este esta estos como quiero necesito gracias
    hoy hazme haz genera generame analiza compara comparame y pasada pasado anterior
    productos producto clientes cliente ano anio mejores un una con en cual cuales donde
    quien dia dias ultimos ultimas ultimo informe reporte grafico facturacion muestrame
    muestra ver hay es son fue mi nuestro nuestra nuestras nuestros trimestre hace desde
    hasta entre sobre ahora bien dime puedes podrias crea creame envia manda buenos buenas
    tardes noches unidades pedidos margen ganancia utilidad tambien mas menos lunes martes
    miercoles jueves viernes sabado domingo enero febrero marzo abril mayo junio julio
    agosto septiembre octubre noviembre diciembre vendedor vendedores zona sur norte
    """
)
_EN_RAW = _word_set(
    """
    the what how much many did we sales hello hi hey for last week month year this please
    can you show give yesterday today thanks thank generate analyze analyse compare make
    get send create by of and in on to is are was our my products customers customer
    product sell sold revenue report chart which who where when why previous past
    units orders margin profit could would me about with from between since monday
    tuesday wednesday thursday friday saturday sunday january february march april june
    july august september october november december sellers seller north south best
    """
)
# Words shared by both languages ("me", "no", "a", "total") are no evidence.
_ES_WORDS = _ES_RAW - _EN_RAW
_EN_WORDS = _EN_RAW - _ES_RAW
_MARK_WEIGHT = 2


def _word_scores(text: str) -> tuple[int, int]:
    """Count Spanish-only and English-only common words in the message."""
    es = en = 0
    for word in _WORDS.findall(normalize(text)):
        if word in _ES_WORDS:
            es += 1
        elif word in _EN_WORDS:
            en += 1
    return es, en


def detect_language(text: str) -> str | None:
    """Guess "es" or "en" for a short chat message, or None without evidence.

    Cheap on purpose: Spanish punctuation and accents weigh most, then counts of
    common words that exist in only one of the languages. A tie (including no
    evidence at all, as in "ok" or "2025") returns None so the caller can keep
    the thread's previous language.
    """
    es, en = _word_scores(text)
    if _SPANISH_MARKS.search(text):
        es += _MARK_WEIGHT
    if es > en:
        return "es"
    if en > es:
        return "en"
    return None
