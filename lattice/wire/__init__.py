"""Wire types of the lattice: Invocation, InvocationResponse, WasmCloudEntity, LinkDefinition, HostData, health."""

from lattice.wire import antiforgery
from lattice.wire.codec import WireStruct, pack, unpack
from lattice.wire.entity import WasmCloudEntity
from lattice.wire.errors import (
    BadInvocationToken,
    ForgedInvocation,
    InvocationTampered,
    MessageMalformed,
    UnknownIssuer,
    WireError,
    WrongTarget,
)
from lattice.wire.hostdata import HEALTH_REQUEST, HealthCheckResponse, HostData
from lattice.wire.invocation import Invocation, InvocationResponse
from lattice.wire.linkdef import DEFAULT_LINK_NAME, LinkDefinition, link_id

__all__ = [
    "DEFAULT_LINK_NAME",
    "HEALTH_REQUEST",
    "BadInvocationToken",
    "ForgedInvocation",
    "HealthCheckResponse",
    "HostData",
    "Invocation",
    "InvocationResponse",
    "InvocationTampered",
    "LinkDefinition",
    "MessageMalformed",
    "UnknownIssuer",
    "WasmCloudEntity",
    "WireError",
    "WireStruct",
    "WrongTarget",
    "antiforgery",
    "link_id",
    "pack",
    "unpack",
]
