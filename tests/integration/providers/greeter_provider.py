"""A whole capability provider in a few lines: the example of docs/providers.md, run for real by the tests."""

from __future__ import annotations

from lattice.provider import LinkRefused, Provider, operation, run
from lattice.wire import LinkDefinition


class Greeter(Provider):
    contract_id = "example:greeter"

    async def put_link(self, link: LinkDefinition) -> None:
        if len(self.values(link).get("greeting", "Hello")) > 40:
            raise LinkRefused("greeting is longer than 40 characters")

    @operation("Greeter.Greet")
    async def greet(self, actor_id: str, payload: str) -> str:
        greeting = self.link_values(actor_id).get("greeting", "Hello")
        return f"{greeting}, {payload}!"

    @operation("Greeter.Count")
    async def count(self, actor_id: str) -> int:
        return len(self.links)


if __name__ == "__main__":
    run(Greeter)
