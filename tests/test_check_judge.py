"""The judge gate (rag/checks/judge.py) on its own: skipped when the report's sentence says what is
asked, else the judge model's score against judge_min, overruled by a count stated in the
question's words. `score` stands in for the judge model: a number, and whether it was asked."""
from __future__ import annotations

from rag.checks.asked import Asked
from rag.checks.judge import judged, plainly_stated
from rag.checks.thresholds import DEFAULT
from rag.schema import ContextItem, Evidence, Hit, Passage

TEXT = "全区98所中小学实现法治副校长全覆盖,共聘任131名法治副校长,积极参与学校安全事故调解。"
PASSAGE = Passage("p", "d", "", "", TEXT, 0, len(TEXT), ())
CONTEXT = [ContextItem(1, Hit(PASSAGE, 0.03, 0.7, 10.0, 1), TEXT)]
EVIDENCE = Evidence(PASSAGE, TEXT, 0, len(TEXT), 3.0)


class Judge:
    """The judge model's score, counting how often it was asked."""

    def __init__(self, value: float):
        self.value, self.asked = value, 0

    def __call__(self) -> float:
        self.asked += 1
        return self.value


def decide(question: str, score: float, closeness: float = 0.0, judge_min: float | None = 1.0, t=DEFAULT,
           evidence=EVIDENCE, context=CONTEXT):
    judge = Judge(score)
    return judged(Asked.of(question), context, evidence, judge_min, judge, lambda: closeness, t), judge.asked


def test_plainly_stated_in_the_questions_words_or_close_in_meaning():
    words = plainly_stated(Asked.of("全区共聘任多少名法治副校长？"), EVIDENCE, lambda: 0.0)
    assert (words.action, words.figures, words.threshold) == ("skip_judge", ("words",), DEFAULT.plainly_stated)
    asked = Asked.of("学校请了多少位法治副校长参与纠纷调解？")  # some of its words, in others
    assert plainly_stated(asked, EVIDENCE, lambda: 0.9).figures == ("meaning",)
    assert plainly_stated(asked, EVIDENCE, lambda: 0.5) is None  # not close enough
    assert plainly_stated(asked, EVIDENCE, lambda: 0.9, DEFAULT.with_(meant_share=0.95)) is None  # too few words


def test_the_judge_is_asked_only_when_no_sentence_says_it():
    skip, asked = decide("全区共聘任多少名法治副校长？", -5.0)
    assert skip.action == "skip_judge" and asked == 0
    passed, asked = decide("学校里有多少个法律方面的副校长？", 1.5)
    assert (passed.action, passed.value, passed.threshold, asked) == ("pass", 1.5, 1.0, 1)


def test_a_judges_no_refuses_unless_the_report_states_the_count_in_the_questions_words():
    refused, _ = decide("学校里有多少个法律方面的副校长？", 0.5)
    assert refused.action == "refuse" and "0.50" in refused.reason and "1.0" in refused.reason
    # the count stated in a stretch carrying min_subject_stated of the question's words (the skip is
    # turned off here by a table whose plainly_stated no sentence reaches)
    strict = DEFAULT.with_(plainly_stated=1.01)
    overruled, _ = decide("共聘任多少名法治副校长？", -1.0, t=strict)
    assert overruled.action == "overrule" and overruled.value == -1.0
    # "全区" is not in the stretch stating 131名: 0.75 of the words, under 0.8
    assert decide("全区共聘任多少名法治副校长？", -1.0, t=strict)[0].action == "refuse"


def test_no_judge_without_passages_or_a_threshold():
    assert decide("学校里有多少个法律方面的副校长？", 5.0, context=[]) == (None, 0)
    assert decide("学校里有多少个法律方面的副校长？", 5.0, judge_min=None) == (None, 0)
