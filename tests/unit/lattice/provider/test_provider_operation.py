"""@operation and the handler table a Provider subclass gets."""

from __future__ import annotations

import pytest

from lattice.interfaces import SetRequest
from lattice.provider import Provider, ProviderDefinitionError, operation
from lattice.wire import pack


class Base(Provider):
    contract_id = "test:ops"

    @operation("Svc.Echo")
    async def echo(self, actor_id: str, payload: str) -> str:
        return payload

    @operation("Svc.Tick")
    async def tick(self, actor_id: str) -> None:
        return None


class Derived(Base):
    @operation("Svc.Store")
    async def store(self, actor_id: str, payload: SetRequest) -> bool:
        return True


def test_handlers_are_collected_with_their_codecs() -> None:
    ops = Derived.operations
    assert sorted(ops) == ["Svc.Echo", "Svc.Store", "Svc.Tick"]
    assert ops["Svc.Echo"].takes_payload is True
    assert ops["Svc.Tick"].takes_payload is False
    assert ops["Svc.Tick"].output.encode(None) == b""
    assert ops["Svc.Store"].input.decode(pack({"key": "k", "value": "v"})) == SetRequest("k", "v")
    assert sorted(Base.operations) == ["Svc.Echo", "Svc.Tick"]


@pytest.mark.parametrize("name", ["Greet", "a.b.c", "Svc.", ".Method", "Svc Method", ""])
def test_operation_names_must_be_service_dot_method(name: str) -> None:
    with pytest.raises(ProviderDefinitionError, match=r"must look like 'Service\.Method'"):
        operation(name)


def test_sync_handlers_are_refused() -> None:
    with pytest.raises(ProviderDefinitionError, match="must be an 'async def' method"):

        class Bad(Provider):
            contract_id = "x:y"

            @operation("Svc.Sync")
            def sync(self, actor_id: str) -> None:
                return None


def test_handlers_need_a_return_annotation() -> None:
    with pytest.raises(ProviderDefinitionError, match="needs a return annotation"):

        class Bad(Provider):
            contract_id = "x:y"

            @operation("Svc.NoReturn")
            async def h(self, actor_id: str):  # type: ignore[no-untyped-def]
                return None


def test_handlers_take_actor_id_and_at_most_one_payload() -> None:
    with pytest.raises(ProviderDefinitionError, match=r"must take \(self, actor_id\)"):

        class Bad(Provider):
            contract_id = "x:y"

            @operation("Svc.Two")
            async def h(self, actor_id: str, a: str, b: str) -> None:
                return None


def test_payload_parameter_needs_an_annotation() -> None:
    with pytest.raises(ProviderDefinitionError, match="annotate the payload parameter"):

        class Bad(Provider):
            contract_id = "x:y"

            @operation("Svc.Untyped")
            async def h(self, actor_id: str, payload) -> None:  # type: ignore[no-untyped-def]
                return None


def test_two_handlers_for_one_operation_are_refused() -> None:
    with pytest.raises(ProviderDefinitionError, match="has two handlers"):

        class Bad(Provider):
            contract_id = "x:y"

            @operation("Svc.Same")
            async def a(self, actor_id: str) -> None:
                return None

            @operation("Svc.Same")
            async def b(self, actor_id: str) -> None:
                return None


def test_a_provider_needs_a_contract_id() -> None:
    class NoContract(Provider):
        pass

    with pytest.raises(ProviderDefinitionError, match="must set contract_id"):
        NoContract(None)  # type: ignore[arg-type]
