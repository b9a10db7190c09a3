"""Tests for matcher: questions as people type them go to the right topic; the rest not.

The questions here are written for these tests (not taken from the evaluation set), with
typos, Kazakh in Latin letters, Russian look-alike letters and Russian words in Kazakh.
"""

from __future__ import annotations

import pytest

from bot.knowledge.library import Library
from bot.matching.articles import CRIMINAL, Article
from bot.matching.language import LanguageDetector
from bot.matching.matcher import Candidate, Match, Matcher, Thresholds
from bot.matching.model import OUT_OF_SCOPE, TopicModel
from bot.matching.text import fold


@pytest.fixture(scope="module")
def matcher(library: Library) -> Matcher:
    return library.matcher


RUSSIAN = [
    ("бывший муж преследует меня и угрожает, что делать", "uk-115-1-stalking"),
    ("бывший парень караулит меня у подъезда каждый день", "uk-115-1-stalking"),
    ("бывшй муж пресладует и следит за мной", "uk-115-1-stalking"),
    ("родители заставляют выйти замуж за нелюбимого", "uk-125-1-forced-marriage"),
    ("заставлют выйти замуж насильно", "uk-125-1-forced-marriage"),
    ("принуждение к браку это преступление?", "uk-125-1-forced-marriage"),
    ("микрокредиты без лицензии", "uk-214-1-illegal-lending"),
    ("человек дает деньги в долг под проценты без лицензии", "uk-214-1-illegal-lending"),
    ("колекторы угражают и пишут маме", "uk-214-2-illegal-collection"),
    ("незаконные коллекторы что делать", "uk-214-2-illegal-collection"),
    ("кто такой дроппер и что ему грозит", "uk-232-1-droppers"),
    ("как понять что фото сделал искусственный интеллект", "ai-content-deepfakes"),
    ("дипфейк видео со мной в тик токе", "ai-content-deepfakes"),
    ("как защитица от мошеников в интернети", "fraud-protect-yourself"),
    ("звонят из банка и просят назвать три цифры с обратной стороны", "fraud-codes-and-cards"),
    ("звонят с банка просят смс код что делать", "fraud-codes-and-cards"),
    ("безопасно ли покупать на олх с предоплатой", "fraud-online-shopping"),
    ("у меня украли деньги с каспи что делать", "fraud-victim-steps"),
    ("меня обманули на олх и деньги пропали", "fraud-victim-steps"),
    ("что такое антифрод центр и как он работает", "antifraud-center"),
    ("когда слушания по алюминиевому заводу паз", "hearing-paz-2026-04-28"),
    ("какие слушания будут в ближайшее время", "hearings-upcoming"),
    ("как подать замечание к проекту на слушаниях", "hearings-how-to-comment"),
    ("сколько преступлений было в павлодарской области в прошлом году", "crime-stats-pavlodar"),
    ("где продают наркотики куда сообщить", "drugs-precursors"),
    ("номер скорой полиции", "emergency-contacts"),
    ("привет", "smalltalk-greeting"),
    ("спасибо большое", "smalltalk-thanks"),
    ("что ты умеешь", "smalltalk-help"),
]

KAZAKH = [
    # Kazakh letters.
    ("бұрынғы күйеуім мені аңдып, қорқытып жүр", "uk-115-1-stalking"),
    ("мені күштеп күйеуге бермек", "uk-125-1-forced-marriage"),
    ("лицензиясыз несие беретін адам", "uk-214-1-illegal-lending"),
    ("картамды ақшаға жалға бердім", "uk-232-1-droppers"),
    ("алаяқтардан қалай сақтануға болады", "fraud-protect-yourself"),
    ("банктен хабарласып смс кодты сұрап жатыр", "fraud-codes-and-cards"),
    ("интернет дүкеннен сатып алу қауіпсіз бе", "fraud-online-shopping"),
    ("мені алаяқтар алдап кетті не істеймін", "fraud-victim-steps"),
    ("жалған ақпарат таратқаны үшін не болады", "koap-456-2-false-information"),
    ("фейк жазсам айыппұл бола ма", "koap-456-2-false-information"),
    ("жасанды интеллект жасаған бейнені қалай анықтауға болады", "ai-content-deepfakes"),
    ("антифрод орталығы не істейді", "antifraud-center"),
    ("алюминий зауыты бойынша тыңдау қашан өтеді", "hearing-paz-2026-04-28"),
    ("жақында қандай қоғамдық тыңдаулар бар", "hearings-upcoming"),
    ("тыңдауға ескертуді қалай жіберемін", "hearings-how-to-comment"),
    ("павлодарда қылмыс азайды ма", "crime-stats-pavlodar"),
    ("полиция менің жеке деректерімді көре ала ма", "personal-data-protection"),
    ("есірткі сатып жатқан жерді қайда хабарлаймын", "drugs-precursors"),
    ("полицияның нөмірі қандай", "emergency-contacts"),
    ("сәлеметсіз бе", "smalltalk-greeting"),
    ("рахмет", "smalltalk-thanks"),
    ("сен не істей аласың", "smalltalk-help"),
    # Russian look-alike letters instead of the Kazakh ones.
    ("бурынгы куйеуим мени андып коркытып жур", "uk-115-1-stalking"),
    ("алаяктардан калай коргануга болады", "fraud-protect-yourself"),
    ("интернет дукеннен сатып алу кауипсиз бе", "fraud-online-shopping"),
    ("когамдык тындау кашан болады", "hearings-upcoming"),
    ("жасанды интеллект видеосын калай тануга болады", "ai-content-deepfakes"),
    # Latin, official and informal.
    ("buryngy kuieuim meni andyp qorqytyp jur", "uk-115-1-stalking"),
    ("meni bireu andyp zhur ne isteimin", "uk-115-1-stalking"),
    ("kollektorlar qorqytyp jatyr", "uk-214-2-illegal-collection"),
    ("alayaktardan kalai saktanu kerek", "fraud-protect-yourself"),
    ("alaiaqtardan qalai qorğanamyn", "fraud-protect-yourself"),
    ("bankten kod surap zhatyr", "fraud-codes-and-cards"),
    ("zhalgan akparat taratsam ne bolady", "koap-456-2-false-information"),
    # Russian words inside Kazakh sentences.
    ("ақшамды алдап алды что делать", "fraud-victim-steps"),
    ("коллекторлар маған қоңырау шалып қорқытады что делать", "uk-214-2-illegal-collection"),
    ("карта деректерін сұрады что делать", "fraud-codes-and-cards"),
]


@pytest.mark.parametrize(("question", "topic"), RUSSIAN)
def test_russian_questions(matcher: Matcher, question: str, topic: str) -> None:
    match = matcher.match(question, lang="ru")
    assert (match.decision, match.topic) == ("answer", topic)
    assert match.lang == "ru"


@pytest.mark.parametrize(("question", "topic"), KAZAKH)
def test_kazakh_questions(matcher: Matcher, question: str, topic: str) -> None:
    match = matcher.match(question, lang="kk")
    assert (match.decision, match.topic) == ("answer", topic)
    # Kazakh is recognised even when the user's language is Russian.
    assert matcher.match(question, lang="ru").lang == "kk"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("ст. 232-1 УК", "uk-232-1-droppers"),
        ("ст.232-1", "uk-232-1-droppers"),
        ("214-2 бап", "uk-214-2-illegal-collection"),
        ("214 - 2 бап не туралы", "uk-214-2-illegal-collection"),
        ("456.2 коап", "koap-456-2-false-information"),
        ("статья 115-1", "uk-115-1-stalking"),
        ("ҚК 125–1-бабы", "uk-125-1-forced-marriage"),
        ("что за статья 214-1 ук рк", "uk-214-1-illegal-lending"),
    ],
)
def test_article_numbers_answer_directly(matcher: Matcher, question: str, topic: str) -> None:
    match = matcher.match(question)
    assert match.decision == "answer"
    assert match.topic == topic
    assert match.candidates[0] == Candidate(topic, 1.0)
    assert [c.topic for c in match.candidates].count(topic) == 1
    assert len(match.candidates) <= 3


def test_an_unknown_article_number_is_ranked_like_any_text(matcher: Matcher) -> None:
    match = matcher.match("ст. 999-9")
    assert match.decision != "answer" or match.candidates[0].score < 1.0
    assert all(c.score < 1.0 for c in match.candidates)


@pytest.mark.parametrize(
    "question",
    [
        "какая погода завтра в павлодаре",
        "погода в алматы",
        "рецепт плова",
        "как приготовить борщ",
        "кто выиграл чемпионат мира по футболу",
        "кто выиграл лигу чемпионов",
        "курс доллара на сегодня",
        "курс евро",
        "алименты на ребенка сколько платить",
        "как расторгнуть брак",
        "какой налог платит ип на упрощенке",
        "налог на машину сколько",
        "сколько стоит билет в кино",
        "ертең ауа райы қандай болады",
        "палау рецепті",
        "доллар бағамы қандай",
    ],
)
def test_out_of_scope_questions_get_no_topic(matcher: Matcher, question: str) -> None:
    match = matcher.match(question)
    assert match.decision in {"unknown", "clarify"}
    assert match.topic is None


@pytest.mark.parametrize(
    "question", ["как подать на развод с мужем через суд", "развод с мужем раздел имущества"]
)
def test_divorce_questions_get_no_topic(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).topic is None


@pytest.mark.parametrize("text", ["🤔🤔", "👍", "...???", "!!!", "", "   ", "— «»"])
def test_no_words_is_empty(matcher: Matcher, text: str) -> None:
    match = matcher.match(text, lang="kk")
    assert match == Match(text, "kk", "empty", ())
    assert match.topic is None


@pytest.mark.parametrize(
    "question",
    [
        "как защититься от мошенников",
        "бывший муж преследует",
        "слушания",
        "курс евро",
        "алаяктар",
        "что",
        "zzzz",
        "ст. 232-1 УК",
    ],
)
def test_candidates_are_at_most_three_sorted_scores_in_unit_range(
    matcher: Matcher, question: str
) -> None:
    match = matcher.match(question)
    scores = [c.score for c in match.candidates]
    assert len(scores) <= 3
    assert scores == sorted(scores, reverse=True)
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert len({c.topic for c in match.candidates}) == len(match.candidates)


def test_rank_limit_and_order(matcher: Matcher) -> None:
    ranked = matcher.rank("мошенники украли деньги", limit=5)
    assert len(ranked) == 5
    assert [c.score for c in ranked] == sorted((c.score for c in ranked), reverse=True)
    assert matcher.rank("мошенники украли деньги", limit=1) == ranked[:1]
    assert sum(c.score for c in matcher.rank("мошенники", limit=50)) <= 1.0 + 1e-3  # rounded


def test_every_bundled_topic_is_indexed(matcher: Matcher, library: Library) -> None:
    assert matcher.topics == library.kb.ids()
    assert matcher.articles_index["232-1"] == "uk-232-1-droppers"
    assert matcher.articles_index["456-2"] == "koap-456-2-false-information"


# --- a tiny matcher, trained on a few examples ---------------------------------------------

EXAMPLES = [
    ("bread", "купить хлеб в магазине"),
    ("bread", "где купить свежий хлеб"),
    ("bread", "хлеб"),
    ("bread", "булочная рядом"),
    ("weather", "погода на завтра"),
    ("weather", "прогноз погоды"),
    ("weather", "будет ли дождь"),
    ("bus-a", "расписание автобусов"),
    ("bus-b", "расписание автобусов"),
    (OUT_OF_SCOPE, "квантовая хромодинамика"),
    (OUT_OF_SCOPE, "теорема ферма"),
    (OUT_OF_SCOPE, "что такое интеграл"),
]


@pytest.fixture(scope="module")
def tiny() -> Matcher:
    detector = LanguageDetector({"ru": ["купить хлеб", "погода"], "kk": ["нан сатып алу"]})
    model = TopicModel.train(EXAMPLES)
    return Matcher(
        model, detector=detector, articles_index={"115-1": "weather"}, numbers={"102": "bread"}
    )


def test_tiny_answers_a_clear_question(tiny: Matcher) -> None:
    match = tiny.match("где купить хлеб")
    assert match.decision == "answer"
    assert match.topic == "bread"
    assert match.candidates[0].score >= Thresholds().answer
    assert match.candidates[0].score - match.candidates[1].score >= Thresholds().margin


def test_tiny_forgives_a_typo(tiny: Matcher) -> None:
    assert tiny.match("хлеп купить").topic == "bread"


def test_tiny_asks_when_two_topics_tie(tiny: Matcher) -> None:
    match = tiny.match("расписание автобусов")
    assert match.decision == "clarify"
    assert match.topic is None
    assert {c.topic for c in match.candidates} == {"bus-a", "bus-b"}
    assert match.candidates[0].score == pytest.approx(match.candidates[1].score, abs=0.01)


def test_tiny_refuses_what_it_learnt_is_out_of_scope(tiny: Matcher) -> None:
    match = tiny.match("квантовая хромодинамика")
    assert (match.decision, match.topic) == ("unknown", None)
    assert OUT_OF_SCOPE not in tiny.topics


@pytest.mark.parametrize("text", ["alert(1)", "<script>alert(1)</script>", "zzz 7 qqq"])
def test_text_without_a_known_word_is_out_of_scope(tiny: Matcher, text: str) -> None:
    assert not tiny.model.knows(tiny.model.spelled(fold(text)))
    match = tiny.match(text, lang="ru")
    assert (match.decision, match.candidates) == ("unknown", ())


def test_tiny_empty(tiny: Matcher) -> None:
    assert tiny.match("😀").decision == "empty"
    assert tiny.match("12345").decision == "empty"  # digits alone ask nothing...
    assert tiny.match("102").topic == "bread"  # ...unless they are an example


def test_tiny_article_index(tiny: Matcher) -> None:
    match = tiny.match("статья 115-1 про хлеб")
    assert match.decision == "answer"
    assert match.candidates[0] == Candidate("weather", 1.0)
    assert "weather" not in [c.topic for c in match.candidates[1:]]


def test_an_article_no_topic_explains_is_never_answered(tiny: Matcher) -> None:
    match = tiny.match("статья 188 УК про хлеб")
    assert (match.decision, match.topic) == ("article", None)
    assert match.article == Article(CRIMINAL, "188")
    assert [c.topic for c in match.candidates] == ["bread"]  # sure of it: offered, not given
    impossible = tiny.match("999-9 бап")
    assert (impossible.decision, impossible.topic, impossible.candidates) == ("unknown", None, ())


def test_tiny_language_follows_the_detector(tiny: Matcher) -> None:
    assert tiny.match("xyzw", lang="kk").lang == "kk"  # no evidence: the user's language
    assert tiny.match("купить хлеб", lang="kk").lang == "ru"
    assert tiny.match("нан сатып алу", lang="ru").lang == "kk"


def test_thresholds_decide(tiny: Matcher) -> None:
    def with_thresholds(**values: float) -> Matcher:
        return Matcher(tiny.model, detector=tiny.detector, thresholds=Thresholds(**values))

    match = with_thresholds(answer=0.99).match("где купить свежий хлеб")
    assert match.decision == "clarify"
    assert [c.topic for c in match.candidates] == ["bread"]
    lenient = with_thresholds(answer=0.0, margin=0.0, ratio=0.0)
    assert lenient.match("расписание автобусов").decision == "answer"
    wary = with_thresholds(answer=0.0, margin=0.0, ratio=1000.0)  # out of scope outweighs all
    assert wary.match("где купить свежий хлеб").decision == "clarify"
    deaf = with_thresholds(answer=2.0, suggest=2.0)
    assert deaf.match("где купить свежий хлеб").decision == "unknown"


def test_texts_with_nothing_to_learn_are_skipped() -> None:
    model = TopicModel.train([("a", "один вопрос"), ("b", "😀"), ("c", "другое")])
    assert model.classes == ["a", "c"]


def test_a_model_of_one_topic_still_refuses() -> None:
    model = TopicModel.train([("a", "один вопрос")])
    assert model.classes == ["a", OUT_OF_SCOPE]


def test_rank_and_match_agree(matcher: Matcher) -> None:
    question = "колекторы угражают и пишут маме"
    assert tuple(matcher.rank(question)) == matcher.match(question).candidates


def test_a_batch_is_matched_as_each_question_alone(matcher: Matcher) -> None:
    questions = [(text, "ru") for text, _topic in RUSSIAN[:6]]
    questions += [("😀", "kk"), ("", "ru"), ("qqqq zzzz", "ru"), ("статья 115-1", "kk")]
    questions += [(text, "kk") for text, _topic in KAZAKH[:3]] + [questions[0]]  # asked twice
    alone = [matcher.match(text, lang=lang) for text, lang in questions]
    together = matcher.match_many(questions)
    assert together == alone
    assert [m.decision for m in together[6:10]] == ["empty", "empty", "unknown", "answer"]
