"""Categories of defects with their questions: what citizens can report and what we ask them."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from stadtmelder_reports.errors import FieldProblem, InvalidReport, ReportStopped
from stadtmelder_shared.event_values import Answer, CategoryRef, LabelledAnswer, LabelledAnswers

Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
LIST_DATATYPES = ("singlevaluelist", "multivaluelist")
STRING_MAX_LENGTH = 500
TEXT_MAX_LENGTH = 4000


def localized(texts: Mapping[str, str], language: str) -> str:
    """The text in `language`, else German, the jurisdiction's first language."""
    return texts.get(language) or texts.get("de") or next(iter(texts.values()), "")


@dataclass(frozen=True)
class Choice:
    key: str
    names: Mapping[str, str]


@dataclass(frozen=True)
class StopRule:
    """Answers that must not become a report, with what to do instead (e.g. call 112)."""

    values: frozenset[str]
    advice: Mapping[str, str]


@dataclass(frozen=True)
class Question:
    code: str
    datatype: Datatype
    required: bool
    order: int
    text: Mapping[str, str]
    help: Mapping[str, str] | None = None
    values: tuple[Choice, ...] = ()
    stop: StopRule | None = None

    def choice_keys(self) -> set[str]:
        return {choice.key for choice in self.values}


@dataclass(frozen=True)
class Category:
    code: str
    group: str
    names: Mapping[str, str]
    description: Mapping[str, str]
    keywords: Mapping[str, tuple[str, ...]]
    anonymous_allowed: bool
    questions: tuple[Question, ...] = ()

    def name(self, language: str) -> str:
        return localized(self.names, language)

    def ref(self) -> CategoryRef:
        return CategoryRef(code=self.code, names=dict(self.names), group=self.group)


def answer_lines(
    category: Category, answers: Mapping[str, Answer], language: str
) -> list[tuple[str, str]]:
    """Each answer as (question, answer) in `language`, in the question order."""
    lines = []
    for question in category.questions:
        value = answers.get(question.code)
        if value is None or value == "":
            continue
        names = {choice.key: localized(choice.names, language) for choice in question.values}
        chosen = value if isinstance(value, list) else [value]
        text = ", ".join(
            names.get(str(v), f"{v:g}" if isinstance(v, float) else str(v)) for v in chosen
        )
        lines.append((localized(question.text, language), text))
    return lines


def labelled_answers(category: Category, answers: Mapping[str, Answer]) -> LabelledAnswers:
    """The answers with their labels in each language of the catalogue, for an event."""
    if not answers:
        return {}
    return {
        language: [
            LabelledAnswer(question=q, answer=a)
            for q, a in answer_lines(category, answers, language)
        ]
        for language in category.names
    }


@dataclass(frozen=True)
class Group:
    code: str
    names: Mapping[str, str]


def check_answers(
    category: Category, answers: Mapping[str, Any], language: str
) -> dict[str, Answer]:
    """Answers converted to their datatypes; raises InvalidReport or ReportStopped."""
    by_code = {question.code: question for question in category.questions}
    problems = [
        FieldProblem(f"answers.{code}", "This category has no such question.")
        for code in answers
        if code not in by_code
    ]
    clean: dict[str, Answer] = {}
    for question in category.questions:
        raw = answers.get(question.code)
        if raw is None or raw == "" or raw == []:
            if question.required:
                problems.append(
                    FieldProblem(
                        f"answers.{question.code}",
                        f"Please answer: {localized(question.text, language)}",
                    )
                )
            continue
        try:
            clean[question.code] = _convert(question, raw)
        except ValueError as error:
            problems.append(FieldProblem(f"answers.{question.code}", str(error)))
    if problems:
        raise InvalidReport(problems)
    for question in category.questions:
        if question.stop is not None and _chosen(clean.get(question.code)) & question.stop.values:
            raise ReportStopped(question.code, question.stop.advice)
    return clean


def _chosen(answer: Answer | None) -> set[str]:
    if answer is None:
        return set()
    if isinstance(answer, list):
        return set(answer)
    return {str(answer)}


def _convert(question: Question, raw: Any) -> Answer:
    match question.datatype:
        case "string" | "text":
            limit = STRING_MAX_LENGTH if question.datatype == "string" else TEXT_MAX_LENGTH
            text = str(raw).strip()
            if len(text) > limit:
                raise ValueError(f"The answer is longer than {limit} characters.")
            return text
        case "number":
            try:
                number = float(raw)
            except (TypeError, ValueError, OverflowError):  # OverflowError: an int of 400 digits
                number = math.nan
            # "Infinity", "NaN" and 1e400 convert, but no database or reader can use them.
            if not math.isfinite(number):
                raise ValueError("The answer must be a number, such as 3 or 2.5.")
            return number
        case "datetime":
            try:
                return datetime.fromisoformat(str(raw)).isoformat()
            except ValueError:
                raise ValueError(
                    "The answer must be a date and time such as 2026-11-27T08:30."
                ) from None
        case "singlevaluelist":
            if isinstance(raw, list) and len(raw) == 1:
                raw = raw[0]
            if not isinstance(raw, str) or raw not in question.choice_keys():
                raise ValueError(f"Choose one of: {', '.join(sorted(question.choice_keys()))}.")
            return raw
        case "multivaluelist":
            chosen = [raw] if isinstance(raw, str) else list(raw)
            unknown = [value for value in chosen if value not in question.choice_keys()]
            if unknown or not chosen:
                raise ValueError(f"Choose any of: {', '.join(sorted(question.choice_keys()))}.")
            return [str(value) for value in dict.fromkeys(chosen)]
    raise ValueError(f"Unsupported datatype {question.datatype}.")  # pragma: no cover
