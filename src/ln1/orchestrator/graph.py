"""The orchestrator's graph, wired top to bottom as the flow reads.

    load_context → preselection ─(decided)→ check_permission → one route → integrate
                              └─(open)──→ classify ──┘

Every node and edge function is ``async``: LangGraph runs sync ones in a thread pool,
a hop per step that costs more than the steps themselves.

Draw it with ``build_graph().get_graph().draw_mermaid()`` (the README shows it).
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from ln1.orchestrator.nodes.ai import call_ai
from ln1.orchestrator.nodes.context import load_context
from ln1.orchestrator.nodes.denied import refuse
from ln1.orchestrator.nodes.direct import answer_direct
from ln1.orchestrator.nodes.integrate import integrate
from ln1.orchestrator.nodes.permissions import check_permission, route_of
from ln1.orchestrator.nodes.runner import ask_runner
from ln1.orchestrator.nodes.task import start_task
from ln1.orchestrator.nodes.understand import classify, decided_or_open, preselection
from ln1.orchestrator.state import OrchestratorState

ROUTE_NODES = {
    "direct": "answer_direct",
    "runner": "ask_runner",
    "task": "start_task",
    "ai": "call_ai",
    "denied": "refuse",
}


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    graph = StateGraph(OrchestratorState)
    graph.add_node("load_context", load_context)
    graph.add_node("preselection", preselection)
    graph.add_node("classify", classify)
    graph.add_node("check_permission", check_permission)
    graph.add_node("answer_direct", answer_direct)
    graph.add_node("ask_runner", ask_runner)
    graph.add_node("start_task", start_task)
    graph.add_node("call_ai", call_ai)
    graph.add_node("refuse", refuse)
    graph.add_node("integrate", integrate)

    graph.add_edge(START, "load_context")
    graph.add_edge("load_context", "preselection")
    graph.add_conditional_edges(
        "preselection", decided_or_open, {"decided": "check_permission", "open": "classify"}
    )
    graph.add_edge("classify", "check_permission")
    graph.add_conditional_edges("check_permission", route_of, ROUTE_NODES)
    for node in ROUTE_NODES.values():
        graph.add_edge(node, "integrate")
    graph.add_edge("integrate", END)
    return graph.compile(checkpointer=checkpointer)
