"""Register images: the words a simulated device serves, built from the same map data the drivers read.

:class:`SunSpecImage` lays out "SunS", a chain of models and the end marker from ``base`` (0-based);
:class:`VendorImage` holds a vendor map's registers. Both set and get points in engineering units,
encoding with the point's current scale factor (so an SF changed at run time re-scales later writes).
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence

from devices.codec import SF_NOT_IMPLEMENTED, decode, encode, int_words, scale_factor, sentinel_words
from devices.registermap import HOLDING, INPUT, ModelDef, Point, PointTable, layout, sunspec_model
from devices.vendormap import VendorMap

DEFAULT_SF = -1
SunsWords = [0x5375, 0x6E53]


class SunSpecImage:
    """A SunSpec register image.

    Args:
        model_ids: models in chain order (model 1 first).
        base: 0-based address of "SunS" (40000, 0 or 50000).
        end_marker: append 0xFFFF/0 after the last model (False = some SMA maps).
        model1_length: 66 (current) or 65 (older devices).
        sf: default value of every SF point (exponent).
    """

    def __init__(
        self,
        model_ids: Sequence[int],
        base: int = 40000,
        *,
        end_marker: bool = True,
        model1_length: int = 66,
        sf: int = DEFAULT_SF,
    ) -> None:
        self.base = base
        self.words: list[int] = list(SunsWords)
        self.models: dict[int, tuple[int, PointTable, int]] = {}  # id -> (address, layout, L)
        for model_id in model_ids:
            self.add_model(sunspec_model(model_id), model1_length if model_id == 1 else None, sf)
        if end_marker:
            self.words += [0xFFFF, 0]

    def add_model(
        self,
        definition: ModelDef,
        length: int | None = None,
        sf: int = DEFAULT_SF,
        counts: Mapping[str, int] | None = None,
    ) -> None:
        """Append a model with every point at its sentinel and every SF at ``sf``.

        ``counts`` sizes repeating groups: by count point (``{"NCrv": 2, "NPt": 4}``, also written into those
        points) or, for the legacy count-0 groups of 126/129/160, by group name (``{"module": 2}``). ``length``
        overrides L (a short model); by default L is what the layout fills.
        """
        counts = dict(counts or {})
        legacy = sum(
            counts.get(g.name, 0) * (g.fixed_size or 0) for g in definition.tail if not isinstance(g.count, str)
        )
        laid = layout(definition, counts, definition.length + legacy)
        length = laid.length if length is None else length
        address = self.base + len(self.words)
        words = [0] * (length + 2)
        for point in laid.points:
            if point.end > length + 2:
                continue
            fill = [sf & 0xFFFF] if point.type == "sunssf" else sentinel_words(point.type, point.size)
            words[point.offset : point.end] = fill
        for name in definition.count_points:
            point = definition.point(name)
            if point.end <= length + 2:
                words[point.offset] = counts.get(name, 0)
        words[0], words[1] = definition.id, length
        self.words += words
        self.models.setdefault(definition.id, (address, laid, length))

    def serve(self, table: str, address: int, count: int) -> list[int]:
        """``count`` words from ``address`` (SunSpec maps are holding registers; function 4 reads the same)."""
        return self.words[address - self.base : address - self.base + count]

    def blank(self) -> SunSpecImage:
        """The same chain (addresses, L, counts) with every point at its sentinel (fault 'sentinel')."""
        blank = SunSpecImage((), self.base, end_marker=False)
        blank.words = list(self.words)
        blank.models = dict(self.models)
        for address, table, length in self.models.values():
            for point in table.points:
                if point.end <= length + 2 and point.type != "sunssf" and point.name not in ("ID", "L"):
                    blank.set_words(address + point.offset, sentinel_words(point.type, point.size))
        return blank

    def add_raw_model(self, model_id: int, body: Sequence[int]) -> None:
        """Append an arbitrary (e.g. vendor) model: ID, L=len(body), body."""
        self.words += [model_id, len(body), *body]

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.base + len(self.words)

    def address_of(self, model_id: int, name: str) -> tuple[int, Point]:
        """Absolute address and definition of a point."""
        address, table, _ = self.models[model_id]
        point = table.point(name)
        return address + point.offset, point

    def _sf(self, model_id: int, point: Point) -> int | None:
        if isinstance(point.sf, str):
            address, _ = self.address_of(model_id, point.sf)
            raw = decode("sunssf", [self.words[address - self.base]])
            return scale_factor(raw if isinstance(raw, int) else None)
        return point.sf if isinstance(point.sf, int) else 0

    def set_words(self, address: int, words: Sequence[int]) -> None:
        """Overwrite raw words at an absolute address."""
        off = address - self.base
        self.words[off : off + len(words)] = [w & 0xFFFF for w in words]

    def get_words(self, address: int, count: int) -> list[int]:
        """Raw words at an absolute address."""
        off = address - self.base
        return self.words[off : off + count]

    def set(self, model_id: int, name: str, value: float | int | str | None) -> None:
        """Set a point in engineering units (``None`` writes the sentinel; SF not implemented → sentinel)."""
        address, point = self.address_of(model_id, name)
        sf = self._sf(model_id, point)
        if value is None or (sf is None and point.type != "string"):
            self.set_words(address, sentinel_words(point.type, point.size))
            return
        self.set_words(address, encode(point.type, value, sf, point.size))

    def get(self, model_id: int, name: str) -> float | int | str | None:
        """A point in engineering units (``None`` for sentinels)."""
        address, point = self.address_of(model_id, name)
        raw = decode(point.type, self.get_words(address, point.size))
        sf = self._sf(model_id, point)
        if isinstance(point.sf, str):
            return None if raw is None or sf is None or isinstance(raw, str) else float(raw) * 10.0**sf
        return raw

    def set_sf(self, model_id: int, sf_name: str, sf: int | None) -> None:
        """Change an SF at run time, re-encoding every point that uses it (None = 0x8000, not implemented)."""
        _, table, _ = self.models[model_id]
        users = [p for p in table.points if p.sf == sf_name]
        values = {p.name: self.get(model_id, p.name) for p in users}
        address, _ = self.address_of(model_id, sf_name)
        self.set_words(address, [SF_NOT_IMPLEMENTED if sf is None else sf & 0xFFFF])
        for name, value in values.items():
            self.set(model_id, name, value)

    def boundaries(self) -> builtins.set[int]:
        """Addresses where a point (or the SunS marker / an ID/L register) starts; reads must start and end here."""
        starts = {self.base, self.base + 1, self.end}
        address = self.base + 2
        while address < self.end:
            model_id, length = self.words[address - self.base], self.words[address - self.base + 1]
            starts.update({address, address + 1, address + 2})
            if model_id == 0xFFFF:
                break
            table = self.models.get(model_id, (0, None, 0))[1]
            if table is not None and self.models[model_id][0] == address:
                starts.update(address + p.offset for p in table.points if p.end <= length + 2)
            else:
                starts.update(range(address, address + 2 + length))
            address += 2 + length
        return starts


class VendorImage:
    """The registers of a vendor map from its lowest to its highest address, one register space per table
    (holding, input); registers no point covers read as 0 unless the device refuses them (``covered``)."""

    def __init__(self, vmap: VendorMap) -> None:
        self.vmap = vmap
        self.base = min(p.offset for p in vmap.points)
        top = max(p.end for p in vmap.points)
        self.tables: dict[str, list[int]] = {HOLDING: [0] * (top - self.base), INPUT: [0] * (top - self.base)}
        for point in vmap.points:
            self.set(point.name, None)

    @property
    def words(self) -> list[int]:
        """The holding registers."""
        return self.tables[HOLDING]

    @property
    def end(self) -> int:
        """One past the last address."""
        return self.base + len(self.words)

    def blank(self) -> VendorImage:
        """The same map with every point "not available" (fault 'sentinel')."""
        return VendorImage(self.vmap)

    def serve(self, table: str, address: int, count: int) -> list[int]:
        """``count`` words of ``table`` from ``address``."""
        words = self.tables.get(table, self.tables[HOLDING])
        return words[address - self.base : address - self.base + count]

    def set_words(self, address: int, words: Sequence[int], table: str = HOLDING) -> None:
        """Overwrite raw words at an absolute address."""
        off = address - self.base
        self.tables[table][off : off + len(words)] = [w & 0xFFFF for w in words]

    def _order(self, point: Point) -> str:
        return point.word_order or self.vmap.word_order

    def set(self, name: str, value: float | int | None) -> None:
        """Set a point in its units (``None`` writes its "not available" value)."""
        point = self.vmap.point(name)
        if value is None:
            if point.invalid:
                words = int_words(point.invalid[0], point.size, self._order(point))
            else:
                words = sentinel_words(point.type, point.size)
            self.set_words(point.offset, words, point.table)
            return
        words = encode(point.type, value, 0, point.size, self._order(point), factor=point.factor, invalid=point.invalid)
        self.set_words(point.offset, words, point.table)

    def get(self, name: str) -> float | int | str | None:
        """A point in its units (``None`` for "not available")."""
        point = self.vmap.point(name)
        raw = decode(point.type, self.serve(point.table, point.offset, point.size), self._order(point), point.invalid)
        return float(raw) * point.factor if isinstance(raw, (int, float)) and point.factor != 1.0 else raw

    def covered(self, table: str) -> builtins.set[int]:
        """Addresses of ``table`` some point of the map covers (a device refusing gaps answers only these)."""
        return {a for p in self.vmap.points if p.table == table for a in range(p.offset, p.end)}

    def boundaries(self) -> builtins.set[int]:
        """Every address (gaps are single registers) is a boundary except the inside of multi-word points."""
        inside = {p.offset + i for p in self.vmap.points for i in range(1, p.size)}
        return set(range(self.base, self.end + 1)) - inside
