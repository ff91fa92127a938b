from __future__ import annotations

from shuzhuan.qa.tokens import baseline_segmenter, segmenter, synonym_table, user_dictionary


def test_programme_terms_stay_whole() -> None:
    words = segmenter().words(
        "列入改造试点的汽配企业实施数字化改造，按核定投入额补助，免申即享，总包商负责实施"
    )
    for term in ("改造试点", "汽配", "数字化改造", "核定投入额", "免申即享", "总包商"):
        assert term in words
    assert "人工智能大模型" in segmenter().words("人工智能大模型应用项目")
    assert "科技型中小企业" in segmenter().words("科技型中小企业")


def test_synonyms_fold_to_one_term() -> None:
    tokens = segmenter()
    assert tokens.tokens("AI项目") == ["人工智能", "项目"]
    assert "汽配" in tokens.tokens("汽车零部件企业")
    assert "家电" in tokens.tokens("家用电器")
    assert "兑现" in tokens.tokens("资金什么时候发放")
    assert "数字化改造" in tokens.tokens("智改数转")
    assert "补助" in tokens.tokens("补贴") and "补助" in tokens.tokens("奖励")


def test_stopwords_and_punctuation_dropped() -> None:
    tokens = segmenter().tokens("请问，我们的项目可以吗？")
    assert tokens == ["项目"]


def test_baseline_has_neither_dictionary_nor_synonyms() -> None:
    assert baseline_segmenter().tokens("AI项目") == ["ai", "项目"]
    assert "总包商" not in baseline_segmenter().words("总包商")


def test_every_synonym_is_a_dictionary_word() -> None:
    words = {w for w, _, _ in user_dictionary()}
    assert {w for w in synonym_table() if len(w) > 1} <= {w.lower() for w in words}
