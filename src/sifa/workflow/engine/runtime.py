"""Running a case's process: a restricted script engine, start, load/dump per case, complete a task.

The state stored per case is SpiffWorkflow's serialized workflow *without* the process spec (the
spec comes from the validated file in the registry, keyed by file name and SM3 digest), so a
command loads one JSON document, completes one task and dumps it again — the cost does not depend
on how long the case's history is (history lives in the timeline and audit trail, not here).
"""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from sifa.core.errors import Conflict
from sifa.workflow.engine.conditions import WHITELIST, ConditionError, parse
from sifa.workflow.engine.registry import ProcessFile, serializer


class RestrictedScriptEngine(PythonScriptEngine):
    """Evaluates gateway conditions with ``engine.conditions`` over whitelisted task data only.

    Nothing reaches Python's ``eval``/``exec``: scripts are refused outright (process files cannot
    contain script tasks anyway), and service calls are refused.
    """

    def validate(self, expression: str) -> None:
        parse(expression)

    def evaluate(self, task, expression, external_context=None):
        variables = {name: task.data.get(name) for name in WHITELIST}
        try:
            return parse(expression).holds(variables)
        except ConditionError as bad:
            raise EngineRefused(str(bad)) from bad

    def execute(self, task, script, external_context=None):
        raise EngineRefused("流程中不允许执行脚本")

    def call_service(self, task, **kwargs):
        raise EngineRefused("流程中不允许调用外部服务")


class EngineRefused(Exception):
    """The engine was asked to do something Sifa does not allow."""


ENGINE = RestrictedScriptEngine()


@dataclass(frozen=True)
class ReadyTask:
    task_id: str
    bpmn_id: str


def start(process: ProcessFile) -> BpmnWorkflow:
    workflow = BpmnWorkflow(process.spec, script_engine=ENGINE)
    workflow.do_engine_steps()
    return workflow


def dump(workflow: BpmnWorkflow) -> dict:
    state = serializer().to_dict(workflow)
    state.pop("spec", None)
    state.pop("subprocess_specs", None)
    return state


def load(process: ProcessFile, state: dict) -> BpmnWorkflow:
    document = {**state, "spec": process.spec_dict, "subprocess_specs": {}}
    workflow = serializer().from_dict(document)
    workflow.script_engine = ENGINE
    return workflow


def ready_tasks(workflow: BpmnWorkflow) -> list[ReadyTask]:
    return [
        ReadyTask(str(task.id), task.task_spec.bpmn_id)
        for task in workflow.get_tasks(state=TaskState.READY)
        if task.task_spec.manual
    ]


def complete(workflow: BpmnWorkflow, task_id: str, variables: dict[str, str]) -> None:
    """Complete one ready user task with the command's variables, then run the engine to the next
    wait state. A gateway with no path for the variables means the command does not fit here."""
    task = next((t for t in workflow.get_tasks(state=TaskState.READY) if str(t.id) == task_id), None)
    if task is None:
        raise Conflict("workflow.command_not_allowed", "该环节已办理或不在当前流程中，请刷新后重试")
    task.data.update({k: v for k, v in variables.items() if k in WHITELIST})
    try:
        task.run()
        workflow.do_engine_steps()
    except (SpiffWorkflowException, EngineRefused) as refused:
        raise Conflict("workflow.command_not_allowed", "当前环节不能作出该处理") from refused
