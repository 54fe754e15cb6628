"""Video reliance: each sample of the real run compared with the same document under counterfactual
inputs (models/variants.py), joined onto the real record as `SampleRecord.variants`.

Every number is a per-sample value, so the registry's bootstrap (diagnostics/summary.py) resamples
the pairs together: the intervals of the differences are paired. A pair counts only when both the
real run and the variant answered (status ok); a sample the variants did not run on (the
--counterfactual-limit subsample) is NaN and leaves every denominator here.

- accuracy per variant: the variant's reference score (percent);
- difference(v): real minus variant score, in points (video reliance = blank, order sensitivity =
  shuffle, think gain = direct);
- flip(v): 100 when the variant's answer differs from the real run's (the robust reading: the last
  <answer> block, letters and numbers normalised), else 0;
- answer fixed without video: 100 when no video-free variant (blank, text_only) that ran changed
  the answer.
"""

from __future__ import annotations

import math
import re

from videor2.models.variants import VIDEOLESS
from videor2.records import SampleRecord, VariantResult
from videor2.tasks.common.scoring import ERROR_STATUSES

NAN = float("nan")


def _ok(status: str) -> bool:
    return status not in ERROR_STATUSES


def paired(rec: SampleRecord, variant: str) -> VariantResult | None:
    """The variant's result when both it and the real run answered, else None."""
    v = rec.variants.get(variant)
    if v is None or not _ok(rec.status) or not _ok(v.status):
        return None
    return v


def _percent(score) -> float:
    return NAN if score is None else 100.0 * float(score)


def has_pair(rec: SampleRecord) -> bool:
    return any(paired(rec, v) is not None for v in rec.variants)


def real_accuracy(rec: SampleRecord) -> float:
    """The real run's reference score on the samples that have at least one paired variant."""
    if not has_pair(rec):
        return NAN
    return _percent(rec.ref_score)


def real_vas(rec: SampleRecord) -> float:
    """The real run's VAS-attention on the samples that have at least one paired variant."""
    att = rec.vas_attention.mean if rec.vas_attention is not None and has_pair(rec) else None
    return float(att) if isinstance(att, (int, float)) and math.isfinite(att) else NAN


def variant_accuracy(variant: str):
    def value(rec: SampleRecord) -> float:
        v = paired(rec, variant)
        return NAN if v is None or rec.ref_score is None else _percent(v.ref_score)
    return value


def difference(variant: str):
    """Real minus variant score of one sample, in points."""
    def value(rec: SampleRecord) -> float:
        v = paired(rec, variant)
        if v is None:
            return NAN
        return _percent(rec.ref_score) - _percent(v.ref_score)
    return value


_SPACE = re.compile(r"\s+")


def same_answer(a, b, kind: str = "mc") -> bool:
    """Whether two parsed answers are the same answer (no answer equals no answer)."""
    if a is None or b is None or a == "" or b == "":
        return (a is None or a == "") and (b is None or b == "")
    if kind == "numeric":
        try:
            x, y = float(a), float(b)
        except (TypeError, ValueError):
            return str(a).strip() == str(b).strip()
        return x == y or (math.isnan(x) and math.isnan(y))
    return _SPACE.sub(" ", str(a).strip().upper()) == _SPACE.sub(" ", str(b).strip().upper())


def flip(variant: str):
    def value(rec: SampleRecord) -> float:
        v = paired(rec, variant)
        return NAN if v is None else 100.0 * (not same_answer(rec.pred, v.pred, rec.answer_kind))
    return value


def variant_vas(variant: str):
    def value(rec: SampleRecord) -> float:
        v = paired(rec, variant)
        att = None if v is None else v.vas_attention
        return float(att) if isinstance(att, (int, float)) and math.isfinite(att) else NAN
    return value


def answer_fixed_without_video(rec: SampleRecord) -> float:
    pairs = [(v, paired(rec, v)) for v in VIDEOLESS]
    pairs = [(name, p) for name, p in pairs if p is not None]
    if not pairs:
        return NAN
    return 100.0 * all(same_answer(rec.pred, p.pred, rec.answer_kind) for _, p in pairs)


def attach_variants(records: list[SampleRecord], variant_records: dict[str, list[SampleRecord]]) -> None:
    """Join each variant's records onto the real run's by (benchmark, doc_id)."""
    for name, recs in variant_records.items():
        by_key = {r.key: r for r in recs}
        for rec in records:
            other = by_key.get(rec.key)
            if other is not None:
                rec.variants[name] = VariantResult.from_record(other)
