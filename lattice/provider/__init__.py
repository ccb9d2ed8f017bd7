"""The provider SDK: write a capability provider as a :class:`Provider` subclass with ``@operation`` handlers.

::

    from lattice.provider import Provider, operation, run

    class Greeter(Provider):
        contract_id = "example:greeter"

        @operation("Greeter.Greet")
        async def greet(self, actor_id: str, payload: str) -> str:
            return f"Hello, {payload}!"

    if __name__ == "__main__":
        run(Greeter)

See docs/providers.md.
"""

from lattice.provider.cli import run
from lattice.provider.errors import (
    BadPayload,
    InvocationRejected,
    LinkRefused,
    OperationFailed,
    ProviderBusy,
    ProviderConfigError,
    ProviderDefinitionError,
    ProviderError,
    UnknownOperation,
    UnlinkedActor,
)
from lattice.provider.links import LinkValues
from lattice.provider.operation import Operation, operation
from lattice.provider.provider import Provider, ProviderContext
from lattice.provider.runner import ProviderRunner, RunnerTuning

__all__ = [
    "BadPayload",
    "InvocationRejected",
    "LinkRefused",
    "LinkValues",
    "Operation",
    "OperationFailed",
    "Provider",
    "ProviderBusy",
    "ProviderConfigError",
    "ProviderContext",
    "ProviderDefinitionError",
    "ProviderError",
    "ProviderRunner",
    "RunnerTuning",
    "UnknownOperation",
    "UnlinkedActor",
    "operation",
    "run",
]
