"""What every service call needs: the store, the settings, the id scheme."""

from __future__ import annotations

from dataclasses import dataclass, field

from kg.services.ids import IdMapper
from kg.settings import Settings
from kg.store import Store


@dataclass
class ServiceContext:
    store: Store
    settings: Settings
    ids: IdMapper = field(init=False)

    def __post_init__(self) -> None:
        self.ids = IdMapper(self.settings.base_iri)

    @property
    def base_iri(self) -> str:
        return self.settings.base_iri
