"""Every sentence the orchestrator says, in Spanish and English.

Kept in one module so wording is consistent, reviewable and testable, and so adding a
language touches one file. ``say(lang, key, **values)`` fills a template.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

Lang = Literal["es", "en"]

TEXTS: dict[str, dict[Lang, str]] = {
    "greeting": {
        "es": "¡Hola, {name}! Soy el asistente de {company}. ¿En qué te ayudo hoy? "
        "Puedes preguntarme, por ejemplo, «¿Cuánto vendimos ayer?».",
        "en": "Hi {name}! I'm {company}'s assistant. How can I help today? "
        "You can ask, for example, “How much did we sell yesterday?”",
    },
    "help": {
        "es": "Soy el asistente de {company}. Esto es lo que puedo hacer:\n"
        "• Responder preguntas sobre tus datos (ventas, pedidos, productos, clientes, "
        "regiones) consultando tu base de datos a través del Local Runner. {runners}\n"
        "• Analizar, limpiar y comparar archivos Excel o CSV, y preparar reportes en PDF. "
        "{files}\n"
        "• Generar imágenes, transcribir audios y redactar textos con IA. {ai}\n"
        "• Decirte cómo van tus tareas.\n"
        "Prueba con «¿Cuánto vendimos ayer?» o «ventas por región del mes pasado».",
        "en": "I'm {company}'s assistant. Here is what I can do:\n"
        "• Answer questions about your data (sales, orders, products, customers, regions) "
        "by querying your database through the Local Runner. {runners}\n"
        "• Analyse, clean and compare Excel or CSV files, and prepare PDF reports. {files}\n"
        "• Generate images, transcribe audio and write text with AI. {ai}\n"
        "• Tell you how your tasks are going.\n"
        "Try “How much did we sell yesterday?” or “sales by region last month”.",
    },
    "runners_none": {
        "es": "Ahora mismo no hay ningún Local Runner registrado para {company}.",
        "en": "No Local Runner is registered for {company} yet.",
    },
    "runners_list": {"es": "Runners de {company}: {items}.", "en": "{company}'s runners: {items}."},
    "online": {"es": "en línea", "en": "online"},
    "offline": {"es": "desconectado", "en": "offline"},
    "files_available": {
        "es": "(Sube el archivo con «POST /v1/files» y envíame su identificador en «file_ids».)",
        "en": "(Upload the file with “POST /v1/files” and send me its id in “file_ids”.)",
    },
    "ai_unconfigured": {
        "es": "(La IA generativa no está configurada para {company}.)",
        "en": "(Generative AI is not configured for {company}.)",
    },
    "ai_available": {
        "es": "(Con Cloudflare Workers AI; para transcribir, sube el audio: wav, mp3, m4a, ogg "
        "o webm.)",
        "en": "(With Cloudflare Workers AI; to transcribe, upload the audio: wav, mp3, m4a, ogg "
        "or webm.)",
    },
    "other": {
        "es": "Eso queda fuera de lo que puedo hacer aquí. Te puedo ayudar con los datos de "
        "{company} (ventas, pedidos, clientes), archivos Excel, reportes en PDF, imágenes y "
        "transcripciones. Escribe «ayuda» para ver todo.",
        "en": "I can't help with that here. I can help with {company}'s data (sales, orders, "
        "customers), Excel files, PDF reports, images and transcriptions. Type “help” to see "
        "everything.",
    },
    "clarify": {
        "es": "No estoy seguro de haberte entendido. ¿Quieres {first} o {second}?",
        "en": "I'm not sure I understood. Do you want to {first} or {second}?",
    },
    "no_tasks": {
        "es": "No tienes tareas en curso ni recientes.",
        "en": "You have no running or recent tasks.",
    },
    "tasks_list": {"es": "Tus tareas recientes:\n{items}", "en": "Your recent tasks:\n{items}"},
    "runner_offline": {
        "es": "Entendí que quieres saber {what}. No hay ningún Local Runner conectado para "
        "{company}, así que ahora mismo no puedo consultar tus datos. {hint}",
        "en": "I understood you want {what}. No Local Runner is connected for {company}, so "
        "I can't query your data right now. {hint}",
    },
    "runner_no_query": {
        "es": "Entendí que quieres saber {what}, pero el runner de {company} no tiene una "
        "consulta autorizada para eso. Puedo responder: {questions}",
        "en": "I understood you want {what}, but {company}'s runner has no allowed query for "
        "that. I can answer: {questions}",
    },
    "runner_refused": {
        "es": "No pude consultar {what}: el runner «{runner}» rechazó el pedido ({why}).",
        "en": "I couldn't get {what}: runner “{runner}” refused the order ({why}).",
    },
    "runner_failed": {
        "es": "No pude consultar {what}: el runner «{runner}» no completó la consulta ({why}). "
        "No muestro datos parciales.",
        "en": "I couldn't get {what}: runner “{runner}” did not complete the query ({why}). "
        "I am not showing partial data.",
    },
    "runner_hint_register": {
        "es": "Un administrador puede registrar uno con «ln1 admin create-runner» e "
        "instalarlo en la red de la empresa.",
        "en": "An administrator can register one with “ln1 admin create-runner” and install "
        "it in the company network.",
    },
    "runner_hint_start": {
        "es": "Revisa que el runner {names} esté encendido y pueda llegar al servidor.",
        "en": "Check that runner {names} is running and can reach the server.",
    },
    "task_started": {
        "es": "Listo, empecé a {what} ({files}). Es la tarea {task_id}; te aviso en esta "
        "conversación cuando termine y mientras tanto puedes seguir preguntando.",
        "en": "On it: I started to {what} ({files}). It is task {task_id}; I'll post the result "
        "in this conversation when it is done, and you can keep chatting meanwhile.",
    },
    "task_needs_files": {
        "es": "Para {what} necesito {count}. Súbelo con «POST /v1/files» y envíame el mensaje "
        "con su identificador en «file_ids».",
        "en": "To {what} I need {count}. Upload it with “POST /v1/files” and send me the message "
        "with its id in “file_ids”.",
    },
    "task_wrong_kind": {
        "es": "El archivo «{filename}» es {kind}, no una hoja de cálculo; para {what} necesito "
        "un Excel (xlsx, xlsm, xls, xlsb), ODS o CSV.",
        "en": "File “{filename}” is {kind}, not a spreadsheet; to {what} I need an Excel file "
        "(xlsx, xlsm, xls, xlsb), ODS or CSV.",
    },
    "task_queue_down": {
        "es": "No pude encolar la tarea para {what}: el sistema de tareas no respondió. "
        "Inténtalo de nuevo en un momento.",
        "en": "I couldn't queue the task to {what}: the task system did not answer. Please try "
        "again in a moment.",
    },
    "task_unavailable": {
        "es": "Entendí que quieres {what}. El procesamiento de archivos en segundo plano "
        "todavía no está disponible en esta instalación, así que no inicié ninguna tarea.",
        "en": "I understood you want to {what}. Background file processing is not available "
        "on this installation yet, so I did not start a task.",
    },
    "ai_not_configured": {
        "es": "Entendí que quieres {what}. La IA generativa (Cloudflare Workers AI) no está "
        "configurada para {company}, así que no lo inicié.",
        "en": "I understood you want to {what}. Generative AI (Cloudflare Workers AI) is not "
        "configured for {company}, so I did not start it.",
    },
    "ai_started": {
        "es": "Listo, empecé a {what} con IA (Cloudflare Workers AI){source}. Es la tarea "
        "{task_id}; te aviso en esta conversación cuando termine y mientras tanto puedes seguir "
        "preguntando.",
        "en": "On it: I started to {what} with AI (Cloudflare Workers AI){source}. It is task "
        "{task_id}; I'll post the result in this conversation when it is done, and you can keep "
        "chatting meanwhile.",
    },
    "ai_needs_prompt": {
        "es": "Para {what} necesito que me digas qué quieres, por ejemplo: «{example}».",
        "en": "To {what} I need you to tell me what you want, for example: “{example}”.",
    },
    "ai_needs_audio": {
        "es": "Para transcribir necesito el audio (wav, mp3, m4a, ogg o webm). Súbelo con "
        "«POST /v1/files» y envíame el mensaje con su identificador en «file_ids».",
        "en": "To transcribe I need the audio file (wav, mp3, m4a, ogg or webm). Upload it with "
        "“POST /v1/files” and send me the message with its id in “file_ids”.",
    },
    "ai_not_audio": {
        "es": "El archivo «{filename}» es {kind}, no un audio; para transcribir necesito un "
        "wav, mp3, m4a, ogg o webm.",
        "en": "File “{filename}” is {kind}, not audio; to transcribe I need a wav, mp3, m4a, ogg "
        "or webm file.",
    },
    "ai_audio_too_big": {
        "es": "El audio «{filename}» pesa {size} MB y el límite para transcribir es {limit} MB, "
        "así que no lo inicié. Envía un fragmento más corto.",
        "en": "Audio “{filename}” is {size} MB and the transcription limit is {limit} MB, so I "
        "did not start it. Send a shorter piece.",
    },
    "ai_audio_too_long": {
        "es": "El audio «{filename}» dura {seconds} s y el límite para transcribir es {limit} s, "
        "así que no lo inicié. Envía un fragmento más corto.",
        "en": "Audio “{filename}” lasts {seconds} s and the transcription limit is {limit} s, so "
        "I did not start it. Send a shorter piece.",
    },
    "denied": {
        "es": "Lo siento, {name}: tu rol ({role}) no permite {action}. Si lo necesitas, pídele "
        "acceso a un administrador de {company}.",
        "en": "Sorry, {name}: your role ({role}) does not allow you to {action}. If you need "
        "it, ask an administrator of {company} for access.",
    },
}

PERMISSION_ACTIONS: dict[str, dict[Lang, str]] = {
    "data:read": {"es": "consultar los datos de la empresa", "en": "query the company's data"},
    "files:write": {"es": "trabajar con archivos", "en": "work with files"},
    "ai:generate": {"es": "usar la IA generativa", "en": "use generative AI"},
    "chat": {"es": "usar el chat", "en": "use the chat"},
}

INTENT_ACTIONS: dict[str, dict[Lang, str]] = {
    "greeting": {"es": "saludar", "en": "say hello"},
    "help": {"es": "saber qué puedo hacer", "en": "know what I can do"},
    "data_query": {"es": "consultar tus datos (p. ej. ventas)", "en": "query your data"},
    "file_analysis": {"es": "analizar un archivo", "en": "analyse a file"},
    "file_compare": {"es": "comparar archivos", "en": "compare files"},
    "report": {"es": "preparar un reporte en PDF", "en": "prepare a PDF report"},
    "image_generation": {"es": "generar una imagen", "en": "generate an image"},
    "transcription": {"es": "transcribir un audio", "en": "transcribe an audio file"},
    "long_text": {"es": "que redacte un texto", "en": "have a text written"},
    "task_status": {"es": "saber cómo van tus tareas", "en": "check on your tasks"},
    "other": {"es": "otra cosa", "en": "something else"},
}

METRICS: dict[str, dict[Lang, str]] = {
    "sales": {"es": "las ventas", "en": "sales"},
    "units": {"es": "las unidades vendidas", "en": "units sold"},
    "orders": {"es": "los pedidos", "en": "orders"},
    "margin": {"es": "el margen", "en": "the margin"},
    "average_ticket": {"es": "el ticket promedio", "en": "the average ticket"},
    "customers": {"es": "los clientes", "en": "customers"},
}

GROUPS: dict[str, dict[Lang, str]] = {
    "day": {"es": "por día", "en": "by day"},
    "month": {"es": "por mes", "en": "by month"},
    "product": {"es": "por producto", "en": "by product"},
    "customer": {"es": "por cliente", "en": "by customer"},
    "region": {"es": "por región", "en": "by region"},
    "seller": {"es": "por vendedor", "en": "by seller"},
}

FILTERS: dict[str, dict[Lang, str]] = {
    "customer": {"es": "cliente", "en": "customer"},
    "product": {"es": "producto", "en": "product"},
    "region": {"es": "región", "en": "region"},
}

TASK_STATUS: dict[str, dict[Lang, str]] = {
    "queued": {"es": "en cola", "en": "queued"},
    "running": {"es": "en curso", "en": "running"},
    "succeeded": {"es": "terminada", "en": "finished"},
    "failed": {"es": "falló", "en": "failed"},
}


_DOUBLE_STOP = re.compile(r"(?<=\w)\.\.(?=\s|$)")


def say(lang: Lang, key: str, **values: Any) -> str:
    """Fill a template; a name ending in a period ("S.A.C.") does not end a sentence twice."""
    return _DOUBLE_STOP.sub(".", TEXTS[key][lang].format(**values))


def format_date(day: date, lang: Lang) -> str:
    return day.strftime("%d/%m/%Y") if lang == "es" else day.isoformat()


def describe_period(period: dict[str, Any] | None, lang: Lang) -> str:
    """``del 17/11/2026 al 23/11/2026`` / ``from 2026-11-17 to 2026-11-23``."""
    if not period:
        return ""
    start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
    if start == end:
        return f"del {format_date(start, lang)}" if lang == "es" else f"on {start.isoformat()}"
    if lang == "es":
        return f"del {format_date(start, lang)} al {format_date(end, lang)}"
    return f"from {start.isoformat()} to {end.isoformat()}"


def describe_data_request(slots: dict[str, Any], lang: Lang) -> str:
    """A readable echo of what was understood: metric, grouping, filters, period."""
    metric = slots.get("metric")
    parts = [
        METRICS[metric][lang]
        if metric in METRICS
        else ("tus datos" if lang == "es" else "your data")
    ]
    if slots.get("limit") and slots.get("group_by"):
        parts.append(f"(top {slots['limit']})")
    if slots.get("group_by") in GROUPS:
        parts.append(GROUPS[slots["group_by"]][lang])
    for key, value in (slots.get("filters") or {}).items():
        label = FILTERS.get(key, {"es": key, "en": key})[lang]
        parts.append(f"{'de' if lang == 'es' else 'for'} {label} {value}")
    period = describe_period(slots.get("period"), lang)
    if period:
        parts.append(period)
    return " ".join(parts)
