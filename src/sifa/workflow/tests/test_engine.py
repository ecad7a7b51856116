"""The restricted engine: shipped files load; script tasks, timers and non-whitelisted conditions are
refused; the condition language never evaluates code."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sifa.workflow.engine.conditions import WHITELIST, ConditionError, parse
from sifa.workflow.engine.registry import ProcessFileError, registry, validate_process

SHIPPED = {
    "lawyer_licence.bpmn",
    "lawyer_licence_change.bpmn",
    "lawyer_licence_cancel.bpmn",
    "law_firm_licence.bpmn",
    "law_firm_change.bpmn",
    "law_firm_cancel.bpmn",
    "special_lawyer_licence.bpmn",
    "notary_appointment.bpmn",
    "notary_office.bpmn",
    "appraisal_institution.bpmn",
    "appraiser_registration.bpmn",
    "grassroots_worker.bpmn",
    "legal_qualification.bpmn",
    "foreign_firm_office.bpmn",
    "legal_aid.bpmn",
    "immediate_decision.bpmn",
    "legal_aid_objection.bpmn",
    "mediation.bpmn",
}

HEAD = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:sifa="urn:sifa:bpmn" '
    'id="d" targetNamespace="urn:t"><bpmn:process id="p" isExecutable="true">'
    '<bpmn:laneSet id="l"><bpmn:lane id="accepting"><bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
    '<bpmn:startEvent id="s"/><bpmn:userTask id="t" sifa:kind="review" sifa:role="reviewer"/>'
)
TAIL = "</bpmn:process></bpmn:definitions>"


def test_every_shipped_process_loads_and_validates():
    assert SHIPPED <= set(registry())


def test_every_licensing_item_names_a_shipped_process():
    """No 行政许可 item of the catalogue may lead to a case no process can start."""
    from sifa.catalogue.data.items import ITEMS

    named = {
        spec["bpmn"] for spec in ITEMS if spec.get("type", spec["code"][0]) == "01" and spec.get("implement")
    }
    assert named - set(registry()) == set()


def test_the_notary_appointment_runs_through_three_levels_and_the_province_issues():
    tasks = registry()["notary_appointment.bpmn"].tasks
    assert [(t.lane, t.stage) for t in tasks.values()] == [
        ("accepting", None),
        ("accepting", 1),
        ("province", 2),
        ("deciding", 3),
        ("province", 4),
    ]
    assert tasks["ministry_decide"].issuer_lane == "province"


def test_a_valid_minimal_process_passes():
    _process, tasks = validate_process("ok.bpmn", (HEAD + TAIL).encode())
    assert tasks["t"].lane == "accepting"


@pytest.mark.parametrize(
    "body, problem",
    [
        ('<bpmn:scriptTask id="x"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>', "不允许脚本任务"),
        ('<bpmn:serviceTask id="x"/>', "不允许的流程元素 serviceTask"),
        (
            '<bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition/></bpmn:intermediateCatchEvent>',
            "timerEventDefinition",
        ),
        (
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t">'
            "<bpmn:conditionExpression>applicant_income &lt; 3000</bpmn:conditionExpression></bpmn:sequenceFlow>",
            "不允许的内容",
        ),
        (
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t">'
            '<bpmn:conditionExpression>__import__("os").system("x")</bpmn:conditionExpression></bpmn:sequenceFlow>',
            "不允许的内容",
        ),
        (
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="t">'
            '<bpmn:conditionExpression>income == "low"</bpmn:conditionExpression></bpmn:sequenceFlow>',
            "不在允许的办件变量之列",
        ),
        ('<bpmn:userTask id="u" sifa:kind="review" sifa:role="pope"/>', "sifa:role"),
        (
            '<bpmn:userTask id="u" sifa:kind="review" sifa:role="reviewer" sifa:issuer="province"/>',
            "sifa:issuer",
        ),
        (
            '<bpmn:userTask id="u" sifa:kind="decide" sifa:role="decision_maker" sifa:issuer="county"/>',
            "sifa:issuer",
        ),
    ],
)
def test_processes_that_break_the_rules_are_refused(body, problem):
    with pytest.raises(ProcessFileError) as refused:
        validate_process("bad.bpmn", (HEAD + body + TAIL).encode())
    assert any(problem in p for p in refused.value.problems)


@pytest.mark.parametrize(
    "source",
    [
        'decision == "a" and',
        'decision = "a"',
        "decision == approve",
        'decision.__class__ == "x"',
        'decision == "a" xor decision == "b"',
        "",
    ],
)
def test_malformed_conditions_are_refused(source):
    with pytest.raises(ConditionError):
        parse(source)


VALUES = st.sampled_from(["approve", "deny", "return", "accept", "refuse"])


@given(variable=st.sampled_from(sorted(WHITELIST)), value=VALUES, actual=VALUES, negated=st.booleans())
def test_a_comparison_means_what_it_says(variable, value, actual, negated):
    condition = parse(f'{variable} {"!=" if negated else "=="} "{value}"')
    assert condition.holds({variable: actual}) is ((actual != value) if negated else (actual == value))


@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_is_refused_cleanly(text):
    try:
        condition = parse(text)
    except ConditionError:
        return
    assert condition.variables <= WHITELIST
