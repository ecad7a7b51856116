"""Process files: parsed and validated once, looked up by the catalogue's ``ProcessDefinition.bpmn_file``.

The files in ``sifa/workflow/processes/`` are written by the team and never uploaded. Each is held
to Sifa's rules before SpiffWorkflow sees it run (:func:`validate_process`):

* only start/end events, user tasks, exclusive and parallel gateways and sequence flows — no script
  tasks (no code in process files), no service/send/receive tasks, sub-processes or call activities,
  and no timer or other event definitions (statutory clocks live in ``sifa.deadlines``);
* every user task sits in a lane naming whose organisation does it (see ``LANES``) and carries
  ``sifa:kind`` (which commands complete it), ``sifa:role`` and optionally ``sifa:stage`` (the order of
  the catalogue version's 办理环节 whose sub-clock it runs under); a decision task may name, with
  ``sifa:issuer``, the lane whose organisation issues the e-licence when it is not the decider's
  own (公证法 §21: 司法部 appoints, the province issues the 公证员执业证书);
* every condition parses in the whitelisted condition language (``engine.conditions``).

A file that breaks a rule is refused with every problem listed; the test suite loads every shipped
file, so a bad file fails CI rather than a case.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from SpiffWorkflow.bpmn.parser import BpmnParser, BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec

from sifa.core.crypto import sm3_hex
from sifa.core.errors import ServiceError
from sifa.organisations.models import Role
from sifa.workflow.engine.conditions import ConditionError, parse

PROCESS_DIR = Path(__file__).resolve().parent.parent / "processes"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SIFA_NS = "urn:sifa:bpmn"
NS = {"bpmn": BPMN_NS}

LANES = {
    "accepting": "受理机构（实施清单的受理机构）",
    "province": "受理机构所属的省级司法行政部门（受理机构本身为省级的即为其本身）",
    "deciding": "决定机构（实施清单的决定机构）",
}
"""Lane id → whose organisation does the lane's tasks (resolved per case in ``projection``).

``province`` is found in the organisation tree, not stored on the entry: it is the provincial
bureau on the accepting organisation's path, the level between a local bureau and the ministry
(公证法 §21, 法律职业资格管理办法 §4)."""
DECISION_KINDS = ("decide", "accept_decide")

TASK_KINDS = {
    "accept": "受理（受理、不予受理、补正告知）",
    "accept_decide": "即办件：受理并当场作出决定",
    "review": "审查（通过或退回）",
    "decide": "决定（准予或不予；也可退回重新审查）",
    "assign": "指派（法律援助人员）",
    "deliver": "送达",
    "rule": "异议审查：维持或者责令改正（法律援助法第四十九条）",
    "mediate": "人民调解：指定调解员、记录调解、以协议或终止结案（人民调解法）",
}

ALLOWED_NODES = {"startEvent", "endEvent", "userTask", "exclusiveGateway", "parallelGateway", "sequenceFlow"}
IGNORED_NODES = {"laneSet", "documentation", "extensionElements"}
EVENT_DEFINITIONS = (
    "timerEventDefinition messageEventDefinition signalEventDefinition errorEventDefinition escalationEventDefinition conditionalEventDefinition compensateEventDefinition linkEventDefinition terminateEventDefinition cancelEventDefinition"
).split()


class ProcessFileError(ServiceError):
    """A process file breaks the rules; ``errors`` lists every problem."""

    status = 500

    def __init__(self, file_name: str, problems: list[str]) -> None:
        super().__init__(
            "workflow.invalid_process",
            f"流程文件 {file_name} 不符合要求：" + "；".join(problems),
            errors=[{"field": file_name, "code": "workflow.invalid_process", "message": p} for p in problems],
        )
        self.problems = problems


@dataclass(frozen=True)
class TaskInfo:
    """What Sifa needs to know about one user task of a process."""

    bpmn_id: str
    name: str
    kind: str
    role: str
    lane: str
    stage: int | None
    issuer_lane: str = ""
    """For a decision task: the lane whose organisation issues the e-licence ("" = its own lane)."""


@dataclass(frozen=True)
class ProcessFile:
    file_name: str
    process_id: str
    name: str
    digest: str
    spec: BpmnProcessSpec
    spec_dict: dict
    tasks: dict[str, TaskInfo]


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def validate_process(file_name: str, content: bytes) -> tuple[etree._Element, dict[str, TaskInfo]]:
    """Check ``content`` against Sifa's rules; returns the process element and its user tasks."""
    problems: list[str] = []
    try:
        root = etree.fromstring(content, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as bad:
        raise ProcessFileError(file_name, [f"XML 无法解析：{bad}"]) from bad
    processes = root.findall("bpmn:process", NS)
    if len(processes) != 1:
        raise ProcessFileError(file_name, ["每个流程文件只能包含一个 process"])
    process = processes[0]
    lanes: dict[str, str] = {}
    for lane in process.iterfind("bpmn:laneSet/bpmn:lane", NS):
        lane_id = lane.get("id", "")
        if lane_id not in LANES:
            problems.append(f"泳道 {lane_id} 不是允许的泳道（{'、'.join(LANES)}）")
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            lanes[(ref.text or "").strip()] = lane_id
    for node in process:
        name = _local(node.tag)
        if name in IGNORED_NODES or not name:
            continue
        if name == "scriptTask":
            problems.append(f"不允许脚本任务（scriptTask {node.get('id')}）：流程文件中不得包含代码")
        elif name not in ALLOWED_NODES:
            problems.append(f"不允许的流程元素 {name}（{node.get('id')}）")
    for definition in EVENT_DEFINITIONS:
        if next(process.iter(f"{{{BPMN_NS}}}{definition}"), None) is not None:
            problems.append(f"不允许事件定义 {definition}：办理时限由时限模块计算，不用流程定时器")
    tasks: dict[str, TaskInfo] = {}
    for task in process.iterfind("bpmn:userTask", NS):
        task_id = task.get("id", "")
        kind = task.get(f"{{{SIFA_NS}}}kind", "")
        role = task.get(f"{{{SIFA_NS}}}role", "")
        stage = task.get(f"{{{SIFA_NS}}}stage")
        issuer = task.get(f"{{{SIFA_NS}}}issuer", "")
        if issuer and (issuer not in LANES or kind not in DECISION_KINDS):
            problems.append(f"用户任务 {task_id} 的 sifa:issuer 只能用于决定环节，且须是允许的泳道")
        if kind not in TASK_KINDS:
            problems.append(f"用户任务 {task_id} 缺少或有无效的 sifa:kind（{kind!r}）")
        if role not in Role.values:
            problems.append(f"用户任务 {task_id} 缺少或有无效的 sifa:role（{role!r}）")
        if task_id not in lanes:
            problems.append(f"用户任务 {task_id} 不在任何泳道中")
        if stage is not None and not stage.isdigit():
            problems.append(f"用户任务 {task_id} 的 sifa:stage 必须是环节序号")
        tasks[task_id] = TaskInfo(
            task_id,
            task.get("name", task_id),
            kind,
            role,
            lanes.get(task_id, ""),
            int(stage) if stage and stage.isdigit() else None,
            issuer,
        )
    for expression in process.iter(f"{{{BPMN_NS}}}conditionExpression"):
        try:
            parse(expression.text or "")
        except ConditionError as bad:
            problems.append(str(bad))
    if problems:
        raise ProcessFileError(file_name, problems)
    return process, tasks


def load_process_file(path: Path) -> ProcessFile:
    """Validate, then parse with SpiffWorkflow (with the BPMN 2.0 XSD)."""
    content = path.read_bytes()
    process, tasks = validate_process(path.name, content)
    parser = BpmnParser(validator=BpmnValidator())
    try:
        parser.add_bpmn_str(content, filename=path.name)
        spec = parser.get_spec(process.get("id"))
    except ValidationException as bad:
        raise ProcessFileError(path.name, [str(bad)]) from bad
    return ProcessFile(
        file_name=path.name,
        process_id=process.get("id", ""),
        name=process.get("name", path.stem),
        digest=sm3_hex(content),
        spec=spec,
        spec_dict=serializer().to_dict(spec),
        tasks=tasks,
    )


@functools.cache
def serializer() -> BpmnWorkflowSerializer:
    return BpmnWorkflowSerializer()


@functools.cache
def registry() -> dict[str, ProcessFile]:
    """Every shipped process file, keyed by file name (what ``ProcessDefinition.bpmn_file`` holds)."""
    return {path.name: load_process_file(path) for path in sorted(PROCESS_DIR.glob("*.bpmn"))}


def process_for(bpmn_file: str) -> ProcessFile:
    found = registry().get(bpmn_file)
    if found is None:
        raise ServiceError(
            "workflow.no_process", f"事项未配置可用的办理流程（{bpmn_file or '未指定流程文件'}）", status=409
        )
    return found


@functools.cache
def shipped_files() -> frozenset[str]:
    """The names of the process files shipped in ``processes/`` (no parsing; cheap to ask)."""
    return frozenset(path.name for path in PROCESS_DIR.glob("*.bpmn"))


@functools.cache
def delivering_files() -> frozenset[str]:
    """The shipped process files with a 送达 task (``sifa:kind="deliver"``): their result is handed
    over — at a window (窗口领取), by post or electronically — so an applicant may choose where to
    collect it. Read with lxml only (no SpiffWorkflow parse; cheap to ask from a page)."""
    found = set()
    for path in PROCESS_DIR.glob("*.bpmn"):
        root = etree.parse(str(path)).getroot()
        if any(task.get(f"{{{SIFA_NS}}}kind") == "deliver" for task in root.iter(f"{{{BPMN_NS}}}userTask")):
            found.add(path.name)
    return frozenset(found)


def delivers(bpmn_file: str) -> bool:
    """Whether the process ``bpmn_file`` ends with a 送达 step (:func:`delivering_files`)."""
    return bpmn_file in delivering_files()


LEGAL_AID_NOTICE = "legal_aid_notice.bpmn"
NOTICE_PROCESS_FILES = frozenset({LEGAL_AID_NOTICE})
"""Processes a partner's notice starts through the exchange (通知辩护, 法律援助法 §36): nobody applies
for them (``sifa.catalogue.processes``: ``catalogue.notice_only``); ``workflow.services.notices``
starts their cases."""


def is_notice_only(bpmn_file: str) -> bool:
    return bpmn_file in NOTICE_PROCESS_FILES


def is_shipped(bpmn_file: str) -> bool:
    """Whether ``bpmn_file`` names a shipped process file (what the catalogue asks before anyone
    may apply for an item, see ``sifa.catalogue.processes``)."""
    return bpmn_file in shipped_files()
