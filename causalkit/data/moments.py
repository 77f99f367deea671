"""Sufficient statistics that add: count, means and centred cross-products.

A :class:`Moments` holds, for k columns, the count ``n``, the mean vector and the
matrix of centred cross-products ``sum((x - mean)(x - mean)^T)``. From them come
sums, sums of squares and cross-products, variances and covariances. Two
``Moments`` of disjoint partitions add exactly (Chan, Golub & LeVeque's pairwise
update), so chunks and workers merge without a second pass, and the centred form
avoids the cancellation of raw sums of squares.

Example:
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [2.0, 1.0], [4.0, 5.0]])
    >>> m = Moments.from_array(("a", "b"), x[:1]) + Moments.from_array(("a", "b"), x[1:])
    >>> m.n, m.mean.tolist(), round(float(m.cov()[0, 1]), 10)
    (3, [2.333333333333333, 2.6666666666666665], 2.6666666667)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, eq=False)
class Moments:
    """Count, means and centred cross-products of named columns."""

    columns: tuple[str, ...]
    n: int
    mean: NDArray[np.float64]
    comoment: NDArray[np.float64]

    def __post_init__(self) -> None:
        k = len(self.columns)
        mean = np.asarray(self.mean, dtype=np.float64).reshape(k)
        com = np.asarray(self.comoment, dtype=np.float64).reshape(k, k)
        mean.setflags(write=False)
        com.setflags(write=False)
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "comoment", com)

    @classmethod
    def empty(cls, columns: Sequence[str]) -> Moments:
        """Moments of no rows (the identity of ``+``).

        Example:
            >>> (Moments.empty(["a"]) + Moments.from_array(["a"], [[2.0]])).mean.tolist()
            [2.0]
        """
        k = len(columns)
        return cls(tuple(columns), 0, np.zeros(k), np.zeros((k, k)))

    @classmethod
    def from_array(cls, columns: Sequence[str], values: object) -> Moments:
        """Moments of the rows of an (n, k) array, computed in two passes.

        Example:
            >>> Moments.from_array(["a"], [[1.0], [3.0]]).var().tolist()
            [2.0]
        """
        x = np.asarray(values, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        n = x.shape[0]
        if n == 0:
            return cls.empty(columns)
        mean = x.mean(axis=0)
        centred = x - mean
        return cls(tuple(columns), n, mean, centred.T @ centred)

    @classmethod
    def from_sums(
        cls, columns: Sequence[str], n: int, sums: object, cross: object
    ) -> Moments:
        """Moments from a count, column sums and raw cross-products ``sum(x x^T)``.

        Example:
            >>> m = Moments.from_sums(["y"], 3407, [1396.87], [[52377.9767]])
            >>> round(float(m.var()[0]), 6)
            15.21
        """
        k = len(columns)
        s = np.asarray(sums, dtype=np.float64).reshape(k)
        c = np.asarray(cross, dtype=np.float64).reshape(k, k)
        if n == 0:
            return cls.empty(columns)
        mean = s / n
        return cls(tuple(columns), int(n), mean, c - n * np.outer(mean, mean))

    def __add__(self, other: Moments) -> Moments:
        if self.columns != other.columns:
            raise ValueError(f"cannot add moments of {self.columns} and {other.columns}")
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        com = self.comoment + other.comoment + np.outer(delta, delta) * (self.n * other.n / n)
        return Moments(self.columns, n, mean, com)

    def index(self, column: str) -> int:
        """Position of ``column``."""
        return self.columns.index(column)

    @property
    def sums(self) -> NDArray[np.float64]:
        """Column sums."""
        return self.mean * self.n

    @property
    def cross(self) -> NDArray[np.float64]:
        """Raw cross-products ``sum(x x^T)`` (diagonal: sums of squares)."""
        return self.comoment + self.n * np.outer(self.mean, self.mean)

    def cov(self, ddof: int = 1) -> NDArray[np.float64]:
        """Covariance matrix with ``ddof`` degrees of freedom removed."""
        if self.n - ddof <= 0:
            return np.full_like(self.comoment, np.nan)
        return self.comoment / (self.n - ddof)

    def var(self, ddof: int = 1) -> NDArray[np.float64]:
        """Variances of the columns."""
        return np.diag(self.cov(ddof)).copy()

    def select(self, columns: Sequence[str]) -> Moments:
        """Moments of a subset of the columns.

        Example:
            >>> Moments.from_array(["a", "b"], [[1.0, 5.0], [3.0, 7.0]]).select(["b"]).mean.tolist()
            [6.0]
        """
        idx = [self.index(c) for c in columns]
        return Moments(tuple(columns), self.n, self.mean[idx], self.comoment[np.ix_(idx, idx)])

    def __repr__(self) -> str:
        return f"Moments(columns={self.columns}, n={self.n}, mean={self.mean.tolist()})"
