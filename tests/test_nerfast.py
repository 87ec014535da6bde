"""NER's token encoder without thinc's layers gives thinc's vectors bit for bit."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy
import pytest
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from thinc.api import Model

from edge_router.privacy import blas_threads
from edge_router.privacy.engine import load_ner_pipeline
from edge_router.privacy.nerfast import FastTok2Vec, Product
from edge_router.privacy.settings import ScannerSettings

_TEXTS = [
    "Please send the report to Maria Gonzalez before Friday, she said it was urgent.",
    "Hi Bob",
    "x",
    "The meeting with Radka Novakova moved to Brno. " * 12,
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_ner_pipeline(ScannerSettings().spacy_model)


def _tok2vec(nlp: Language) -> Model[Any, Any]:
    ner: TrainablePipe = nlp.get_pipe("ner")
    model: Model[Any, Any] = ner.model.get_ref("tok2vec")
    return model


def _bits(array: Any) -> Any:
    return numpy.ascontiguousarray(array).view("u4")


@pytest.mark.parametrize(
    "texts", [_TEXTS, _TEXTS[:1], _TEXTS[1:3], [t[:n] for t in _TEXTS for n in (5, 40)]]
)
def test_same_bits_as_thinc(nlp: Language, texts: list[str]) -> None:
    tok2vec = _tok2vec(nlp)
    fast = FastTok2Vec.for_model(tok2vec)
    assert fast is not None
    docs = [nlp.make_doc(t) for t in texts]
    want, got = tok2vec.predict(docs), fast(docs)
    assert got.shape == want.shape and got.dtype == want.dtype
    assert numpy.array_equal(_bits(got), _bits(want))


def test_product_matches_gemm_on_every_size(nlp: Language) -> None:
    tok2vec = _tok2vec(nlp)
    maxout = next(n for n in tok2vec.walk() if n.name == "maxout")
    W = maxout.ops.reshape2f(maxout.get_param("W"), -1, maxout.get_dim("nI"))
    product = Product(maxout.ops, W)
    rng = numpy.random.default_rng(7)
    for rows in range(1, 80):
        X: Any = rng.standard_normal((rows, W.shape[1])).astype("f")
        assert numpy.array_equal(_bits(product(X)), _bits(maxout.ops.gemm(X, W, trans2=True)))


def test_other_structures_keep_thinc(nlp: Language) -> None:
    assert FastTok2Vec.for_model(_tok2vec(nlp).layers[-1]) is None  # a linear layer


def test_operator_thread_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "4")
    assert blas_threads.limit_openblas_threads() is False


def test_sets_one_thread_where_openblas_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    libs = blas_threads._loaded_openblas()
    if not libs:
        pytest.skip("numpy here is not on OpenBLAS")
    assert blas_threads.limit_openblas_threads() is True
    lib = ctypes.CDLL(str(libs[0]))
    getter = getattr(lib, "scipy_openblas_get_num_threads64_", None)
    if getter is not None:
        assert getter() == 1
