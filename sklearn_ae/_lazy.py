"""Data read block by block: memmaps, dask, zarr and h5py arrays, torch Datasets.

A lazy source is never turned into one array. :class:`LazyRows` reads it a
block of rows at a time, checking each block against the source's declared
width and dtype; the estimators train on blocks (:mod:`sklearn_ae._net`'s
``BlockDataset``) and stream inference through :func:`map_blocks`. Everything
else (NumPy arrays, lists, data frames) keeps the in-memory path.
"""

import collections.abc
import itertools
import math
import mmap
from contextlib import contextmanager

import numpy as np
import torch

#: What ``fit`` accepts, for the error on anything else.
SUPPORTED_SOURCES = (
    "in memory: a NumPy array or another array-like (list, pandas or polars DataFrame); "
    "read lazily, block by block: a numpy.memmap, a dask array, a zarr array, an h5py "
    "Dataset, or a map-style torch.utils.data.Dataset of rows (with __len__)"
)

#: Size of a block read from a source that has no chunks of its own: large
#: enough that reading and copying cost little per row, small enough that a
#: block (and its copy on the device) is a small part of memory.
BLOCK_BYTES = 64 * 2**20


def _module_of(X):
    return type(X).__module__.split(".")[0]


def is_lazy(X):
    """Whether ``X`` is a source read block by block rather than an in-memory array.

    Anything that cannot be read either way is a ``TypeError`` listing what is
    supported.
    """
    if isinstance(X, np.memmap):
        return True
    library = _module_of(X)
    if library == "dask":
        # An array; a dask DataFrame is computed in memory, as an array-like.
        return hasattr(X, "chunks") and hasattr(X, "to_delayed")
    if library in ("zarr", "h5py"):
        if hasattr(X, "shape") and hasattr(X, "dtype"):
            return True
        raise TypeError(
            f"Unsupported training data: a {type(X).__name__} of {library}, not an array "
            f"(a group or a file?); pass one of its arrays. Supported: {SUPPORTED_SOURCES}."
        )
    if isinstance(X, torch.utils.data.Dataset):
        if isinstance(X, torch.utils.data.IterableDataset) or not hasattr(X, "__len__"):
            raise TypeError(
                f"Unsupported training data: {type(X).__name__} is a torch Dataset without "
                "a length (an iterable-style dataset), whose rows cannot be read in seeded "
                f"random blocks. Supported: {SUPPORTED_SOURCES}."
            )
        return True
    if isinstance(X, (collections.abc.Iterator, torch.utils.data.DataLoader)):
        raise TypeError(
            f"Unsupported training data: got a {type(X).__name__!r} object, which yields "
            "its rows or batches once, in its own order. Pass the data it reads instead. "
            f"Supported: {SUPPORTED_SOURCES}."
        )
    return False


class LazyRows:
    """The rows of a lazy source, read a block at a time as NumPy arrays.

    ``shape`` and ``dtype`` are what the source declares (for a torch Dataset:
    its length and its first row's size and dtype, rows of any shape being
    flattened); every block read is checked against them, so that a block
    that breaks them is named with its first offending row.
    """

    def __init__(self, source):
        self.source = source
        self._dask_blocks = None
        self.kind = "Dataset" if isinstance(source, torch.utils.data.Dataset) else "array"
        if _module_of(source) == "dask":
            self.kind = "dask"
        if self.kind == "Dataset":
            if len(source) == 0:
                raise ValueError(
                    "Found array with 0 sample(s) (shape=(0, ?)) while a minimum of 1 is "
                    "required: the Dataset is empty."
                )
            first = self._rows([0])[0]
            self.shape = (len(source), first.size)
            self.dtype = first.dtype
        else:
            self.shape = tuple(source.shape)
            self.dtype = np.dtype(source.dtype)
            if any(np.isnan(size) for size in self.shape):
                raise ValueError(
                    f"The {type(source).__name__} has unknown chunk sizes (shape "
                    f"{self.shape}); call its compute_chunk_sizes() first."
                )
            if len(self.shape) != 2:
                raise ValueError(
                    f"Expected a 2D array, got a {type(source).__name__} of shape "
                    f"{self.shape}. Reshape the source to (n_samples, n_features)."
                )
        # A dask array's blocks are its row chunks.
        self._chunk_bounds = None
        if self.kind == "dask":
            edges = np.cumsum((0, *source.chunks[0]))
            self._chunk_bounds = [(int(a), int(b)) for a, b in itertools.pairwise(edges)]

    def __len__(self):
        return self.shape[0]

    def _rows(self, index):
        """Rows ``index`` of a Dataset, each flattened; items may be ``(row, target)``."""
        source = self.source
        items = source.__getitems__(index) if hasattr(source, "__getitems__") else None
        if items is None:
            items = [source[i] for i in index]
        rows = []
        for item in items:
            if isinstance(item, (tuple, list)):
                item = item[0]
            if isinstance(item, torch.Tensor):
                item = item.detach().cpu().numpy()
            rows.append(np.asarray(item).reshape(-1))
        return rows

    def bounds(self, target_rows):
        """``(start, stop)`` of each block: the row chunks of a dask array, else
        blocks of about ``target_rows`` rows, aligned on the source's own chunks."""
        n = len(self)
        if self._chunk_bounds is not None:
            return self._chunk_bounds
        chunks = getattr(self.source, "chunks", None)
        step = max(1, int(target_rows))
        if chunks:
            step = max(1, round(step / chunks[0])) * chunks[0]
        return [(start, min(start + step, n)) for start in range(0, n, step)]

    def read(self, start, stop, block):
        """Rows ``start:stop``, block number ``block`` of :meth:`bounds`, as an array of ours.

        Never a view of the user's data, so that training may use its memory.
        """
        if self.kind == "Dataset":
            rows = self._rows(list(range(start, stop)))
            for offset, row in enumerate(rows):
                if row.size != self.shape[1] or row.dtype != self.dtype:
                    raise ValueError(
                        f"{_where(block, start, stop)}: row {start + offset} has "
                        f"{row.size} values of dtype {row.dtype}, but the first row has "
                        f"{self.shape[1]} of dtype {self.dtype}. Every row of the "
                        "Dataset must have the same size and dtype."
                    )
            return np.stack(rows)
        chunked = self._chunk_bounds is not None and block < len(self._chunk_bounds)
        if chunked and (start, stop) == self._chunk_bounds[block]:
            # The chunk's own tasks: slicing the array would add a copy of the
            # block to the graph's result.
            if self._dask_blocks is None:
                self._dask_blocks = self.source.to_delayed()
            row = [part.compute() for part in self._dask_blocks[block]]
            part = row[0] if len(row) == 1 else np.hstack(row)
        elif self.kind == "dask":
            part = self.source[start:stop].compute()
        else:
            part = self.source[start:stop]
        part = np.asarray(part)
        if not (part.flags.owndata and part.flags.writeable):
            # A view of the user's memory (or file, for a memmap): copied.
            part = part.copy()
        if isinstance(self.source, np.memmap):
            _release_pages(self.source, start, stop)
        if part.shape[1:] != self.shape[1:] or part.dtype != self.dtype:
            raise ValueError(
                f"{_where(block, start, stop)}: got {part.shape[1]} features of dtype "
                f"{part.dtype}, but the array declares {self.shape[1]} of dtype "
                f"{self.dtype}. Every block must match the array's declared shape and dtype."
            )
        return part

    def blocks(self, bounds):
        """``(block, start, stop, rows)`` for the blocks of ``bounds``, in order."""
        for block, (start, stop) in enumerate(bounds):
            yield block, start, stop, self.read(start, stop, block)


def _release_pages(memmap, start, stop):
    """Unmap the file pages of rows ``start:stop`` of ``memmap`` from this process.

    Read pages of a mapped file count in the process's resident size until
    the kernel needs them back: a pass over a large memmap would show the
    whole file as resident. Once a block is copied its pages are let go (the
    file stays in the page cache). Only for shared mappings (modes ``r`` and
    ``r+``, ``w+``): in a copy-on-write one (``c``) they hold the user's changes.
    """
    mapping = getattr(memmap, "_mmap", None)
    if mapping is None or memmap.mode not in ("r", "r+", "w+") or not hasattr(mapping, "madvise"):
        return
    if not memmap.flags.c_contiguous:
        return
    base = np.frombuffer(mapping, dtype=np.uint8).ctypes.data
    row_bytes = memmap.strides[0]
    page = mmap.PAGESIZE
    begin = (memmap.ctypes.data - base + start * row_bytes) // page * page
    end = memmap.ctypes.data - base + stop * row_bytes
    mapping.madvise(mmap.MADV_DONTNEED, begin, end - begin)


def block_rows(n_features, itemsize, multiple=1):
    """Rows in a block of about :data:`BLOCK_BYTES`, a multiple of ``multiple`` rows."""
    rows = BLOCK_BYTES // max(1, n_features * itemsize)
    return max(multiple, rows // multiple * multiple)


def _where(block, start, stop):
    return f"Block {block} (rows {start} to {stop - 1}) of the data"


@contextmanager
def located(rows, block=None, start=0, stop=None):
    """Name the block (if any) and the first non-finite row of ``rows`` in a ``ValueError``.

    ``rows`` are the rows ``start:stop`` of the data; the row named counts
    from the start of the data, as in memory.
    """
    try:
        yield
    except ValueError as exc:
        where = [] if block is None else [_where(block, start, stop)]
        if "NaN" in str(exc) or "infinity" in str(exc):
            where += _first_bad_row(rows, start)
        if not where:
            raise
        where[0] = where[0][0].upper() + where[0][1:]
        raise ValueError(f"{', '.join(where)}: {exc}") from exc


def _first_bad_row(X, offset):
    try:
        values = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        return []
    if values.ndim != 2:
        return []
    bad = np.flatnonzero(~np.isfinite(values).all(axis=1))
    return [f"row {offset + bad[0]}"] if len(bad) else []


def map_blocks(fn, X, *, multiple=1):
    """``fn(rows, rows_slice)`` over the blocks of the lazy ``X``, outputs stacked.

    Blocks are of about :data:`BLOCK_BYTES` (a multiple of ``multiple`` rows,
    dask chunks for a dask array). ``fn`` returns an array with a row per
    row, or a tuple of them; they are written into arrays allocated once,
    after the first block. Errors name the block.
    """
    rows = LazyRows(X)
    out = None
    target = block_rows(rows.shape[1], rows.dtype.itemsize, multiple)
    for block, start, stop, part in rows.blocks(rows.bounds(target)):
        with located(part, block, start, stop):
            result = fn(part, slice(start, stop))
        del part  # before the next block is read: one block in memory
        parts = result if isinstance(result, tuple) else (result,)
        if out is None:
            out = tuple(np.empty((len(rows), *p.shape[1:]), dtype=p.dtype) for p in parts)
        for column, p in zip(out, parts, strict=True):
            column[start:stop] = p
    return out if isinstance(result, tuple) else out[0]


def split_blocks(bounds, fraction, seed):
    """``(train, valid)`` lists of block bounds; ``valid`` a seeded ``ceil(fraction * n)``
    of whole blocks, or None when ``fraction`` is None."""
    if fraction is None:
        return bounds, None
    n_valid = math.ceil(fraction * len(bounds))
    if len(bounds) - n_valid < 1:
        raise ValueError(
            f"early_stopping on data read in blocks holds out whole blocks, and this data "
            f"has {len(bounds)} block(s) with validation_fraction={fraction}: no block is "
            "left to train on. Use smaller blocks (for a dask array, rechunk its rows) or "
            "early_stopping=False."
        )
    order = np.random.RandomState(seed).permutation(len(bounds))
    valid = set(order[:n_valid].tolist())
    return (
        [b for i, b in enumerate(bounds) if i not in valid],
        [b for i, b in enumerate(bounds) if i in valid],
    )
