"""NER's token encoder run as one straight sequence of array operations.

``spaCy``'s NER model (``en_core_web_sm``: hash embeddings, a maxout mixer, four
window-CNN residual blocks, a linear projection) is a tree of about 60 ``thinc``
layers. At prediction each call builds a backprop closure, and the encoder turns
the batch from one array into a list of per-window arrays and back three times
(``ragged2list``, ``with_array``'s pad and unpad, ``list2array``). On the short
windows ``NerGate`` sends, that bookkeeping costs about as much as the arithmetic.

:class:`FastTok2Vec` reads the same layers' parameters and calls the same ``Ops``
methods (hash, gather_add, gemm, maxout, seq2col) and numpy expressions in the
same order, on arrays of the same shapes, so its output equals the thinc
forward's bit for bit; only the per-layer Python calls and the list round trips
go. It is built only when the model has exactly that structure
(:meth:`FastTok2Vec.for_model`); anything else keeps thinc's own forward.

Example::

    fast = FastTok2Vec.for_model(ner.model.get_ref("tok2vec"))
    tokvecs = fast(docs) if fast is not None else tok2vec.predict(docs)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy
from spacy.ml.featureextractor import forward as _features
from spacy.tokens import Doc
from thinc.api import Model, NumpyOps
from thinc.layers.array_getitem import forward as _getitem
from thinc.layers.chain import forward as _chain
from thinc.layers.concatenate import forward as _concatenate
from thinc.layers.dropout import forward as _dropout
from thinc.layers.expand_window import forward as _window
from thinc.layers.hashembed import forward as _hashembed
from thinc.layers.layernorm import forward as _layernorm
from thinc.layers.linear import forward as _linear
from thinc.layers.list2array import forward as _list2array
from thinc.layers.list2ragged import forward as _list2ragged
from thinc.layers.maxout import forward as _maxout
from thinc.layers.ragged2list import forward as _ragged2list
from thinc.layers.residual import forward as _residual
from thinc.layers.with_array import forward as _with_array

# One maxout >> layernorm: its weights' Product, bias (1d), pieces; the norm's G and b.
_Block = tuple["Product", Any, int, Any, Any]


# Product's check: row counts up to this many multiply-adds, and at least this many rows.
_CHECKED_MNK = 4_000_000
_MIN_CHECKED = 32
_NEVER = 1 << 62


class _Unexpected(Exception):
    """The model is not the structure this fast path reproduces."""


def _leaves(node: Model[Any, Any]) -> list[Model[Any, Any]]:
    """The layers of a (nested) ``chain``, in order; any other node is its own leaf."""
    if node._func is _chain:
        return [leaf for layer in node.layers for leaf in _leaves(layer)]
    return [node]


def _expect(node: Model[Any, Any], forward: Any) -> Model[Any, Any]:
    """``node`` itself, if its forward is ``forward``; else not our structure."""
    if node._func is not forward:
        raise _Unexpected(node.name)
    return node


def _mixer(nodes: Sequence[Model[Any, Any]]) -> _Block:
    """Parameters of ``maxout >> layernorm >> dropout`` (dropout: identity at predict)."""
    if len(nodes) != 3:
        raise _Unexpected("mixer")
    mo, ln = _expect(nodes[0], _maxout), _expect(nodes[1], _layernorm)
    _expect(nodes[2], _dropout)
    n_o, n_p, n_i = mo.get_dim("nO"), mo.get_dim("nP"), mo.get_dim("nI")
    w = Product(mo.ops, mo.ops.reshape2f(mo.get_param("W"), n_o * n_p, n_i))
    b = mo.ops.reshape1f(mo.get_param("b"), n_o * n_p)
    return w, b, n_p, ln.get_param("G"), ln.get_param("b")


class Product:
    """``ops.gemm(X, W, trans2=True)`` (thinc's ``X @ W.T``), faster where it is the same.

    numpy hands ``W.T`` to OpenBLAS as a transposed operand, and OpenBLAS re-packs
    the whole weight matrix on every call; from a contiguous copy of ``W.T`` it
    packs about twice as fast, which is most of a product's time on the few dozen
    rows a window has (60 against 18 us for 10 rows of NER's 288-wide layers).
    Past the packing both take the same kernel in the same order, so the results
    are equal bit for bit; on small products OpenBLAS may switch to a special
    kernel that sums differently. Which sizes those are depends on the CPU and the
    OpenBLAS build, so it is measured here, once: both ways on random rows, for
    every row count up to ``_CHECKED_MNK``; the copy is used only past the largest
    count that differed, and never if one differed near the top of that range.
    The copy is taken once: the scanner never trains, so the weights never change.
    """

    def __init__(self, ops: NumpyOps, W: Any) -> None:
        self._ops = ops
        self._W = W
        self._WT = numpy.ascontiguousarray(W.T)
        self.from_rows = self._calibrate()

    def __call__(self, X: Any) -> Any:
        if len(X) >= self.from_rows:
            return numpy.dot(X, self._WT)
        return self._ops.gemm(X, self._W, trans2=True)

    def _calibrate(self) -> int:
        """Fewest rows from which the contiguous copy gives thinc's bits (see class doc)."""
        if getattr(self._ops, "use_blis", True):
            return _NEVER  # thinc's BLIS (see engine.set_matmul): leave its product alone
        n_out, n_in = self._W.shape
        top = max(_MIN_CHECKED, _CHECKED_MNK // (n_out * n_in))
        rng = numpy.random.default_rng(0)
        last_diff = 0
        for rows in range(1, top + 1):
            X = rng.standard_normal((rows, n_in)).astype(self._W.dtype)
            if not numpy.array_equal(
                self._ops.gemm(X, self._W, trans2=True), numpy.dot(X, self._WT)
            ):
                last_diff = rows
        return last_diff + 1 if last_diff <= top // 2 else _NEVER


class FastTok2Vec:
    """The thinc forward of a ``Tok2Vec.v2``-shaped NER encoder, without thinc's layers."""

    def __init__(self, tok2vec: Model[Any, Any]) -> None:
        """Read ``tok2vec``'s structure; raises ``_Unexpected`` if it is not the known one."""
        parts = _leaves(tok2vec)
        if len(parts) != 8:
            raise _Unexpected("tok2vec")
        features, to_ragged, embed, mix, to_list, encode, to_array, project = parts
        if not isinstance(tok2vec.ops, NumpyOps):
            raise _Unexpected("ops")
        self._ops: NumpyOps = tok2vec.ops
        self._columns = list(_expect(features, _features).attrs["columns"])
        if len(self._columns) < 2:
            raise _Unexpected("columns")  # one column: to_array's 1d case, not handled
        _expect(to_ragged, _list2ragged)
        _expect(to_list, _ragged2list)
        _expect(to_array, _list2array)
        self._embeds: list[tuple[Any, int, Any, int]] = []  # (index, seed, table, rows)
        for table in _expect(_expect(embed, _with_array).layers[0], _concatenate).layers:
            getitem, lookup = _leaves(table)
            _expect(getitem, _getitem)
            _expect(lookup, _hashembed)
            vectors = lookup.get_param("E")
            self._embeds.append(
                (getitem.attrs["index"], int(lookup.attrs["seed"]), vectors, vectors.shape[0])
            )
        self._mix = _mixer(_leaves(_expect(mix, _with_array).layers[0]))
        self._pad = int(_expect(encode, _with_array).attrs["pad"])
        self._blocks: list[tuple[int, _Block]] = []  # (window, mixer)
        for block in _leaves(encode.layers[0]):
            window, *rest = _leaves(_expect(block, _residual).layers[0])
            self._blocks.append((int(_expect(window, _window).attrs["window_size"]), _mixer(rest)))
        _expect(project, _linear)
        # The 96-to-64 projection is too small for Product to pay for its check.
        self._project = (project.get_param("W"), project.get_param("b"))
        if not all(isinstance(node.ops, NumpyOps) for node in tok2vec.walk()):
            raise _Unexpected("ops")

    @classmethod
    def for_model(cls, tok2vec: Model[Any, Any]) -> FastTok2Vec | None:
        """The fast forward for ``tok2vec``, or None where its structure differs."""
        try:
            return cls(tok2vec)
        except (_Unexpected, AttributeError, KeyError, TypeError, ValueError):
            return None

    def __call__(self, docs: Sequence[Doc]) -> Any:
        """Token vectors for ``docs``, one row per token, as ``tok2vec.predict(docs)``.

        Every doc must have tokens (thinc handles empty ones differently).
        """
        ops = self._ops
        feats = [ops.asarray2i(doc.to_array(self._columns), dtype="uint64") for doc in docs]
        flat = numpy.concatenate(feats)
        embedded = [
            ops.gather_add(table, ops.hash(ops.as_contig(flat[index], dtype="uint64"), seed) % rows)
            for index, seed, table, rows in self._embeds
        ]
        mixed = self._maxout_norm(numpy.hstack(embedded), self._mix)
        # with_array(pad): ``pad`` zero rows before, between and after the docs, so a
        # window never reaches into the next doc.
        pad, width = self._pad, mixed.shape[1]
        X = numpy.zeros((len(mixed) + pad * (len(docs) + 1), width), dtype=mixed.dtype)
        rows: list[Any] = []
        start = src = 0
        for doc in docs:
            start += pad
            X[start : start + len(doc)] = mixed[src : src + len(doc)]
            rows.append(numpy.arange(start, start + len(doc)))
            start += len(doc)
            src += len(doc)
        for window, block in self._blocks:
            X = X + self._maxout_norm(ops.seq2col(X, window), block)
        W, b = self._project
        Y = ops.gemm(X[numpy.concatenate(rows)], W, trans2=True)
        Y += b
        return Y

    def _maxout_norm(self, X: Any, block: _Block) -> Any:
        """thinc's ``maxout >> layernorm`` forward, expression for expression."""
        W, b, n_p, G, shift = block
        ops = self._ops
        Y = W(X)
        Y += b
        best, _ = ops.maxout(ops.reshape3f(Y, Y.shape[0], Y.shape[1] // n_p, n_p))
        mu = best.mean(axis=1, keepdims=True)
        var = best.var(axis=1, keepdims=True) + 1e-08
        Xhat = (best - mu) * var ** (-1.0 / 2.0)
        out = Xhat * G
        out += shift
        return out
