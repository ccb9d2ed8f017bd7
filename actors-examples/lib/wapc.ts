// waPC guest glue on top of @wapc/as-guest: the entry point, the abort handler and a host call that follows the
// wasmbus ABI exactly (success only when __host_call returns 1; the Rust host 0.78+ returns 0xFFFFFFFF on failure,
// which as-guest's bool-typed import would read as success).

import {
  handleAbort,
  handleCall,
  HostError,
  Result,
  __host_error,
  __host_error_len,
  __host_response,
  __host_response_len,
} from "@wapc/as-guest";
import { MsgReader } from "./msgpack";

export { register, Result, HostError } from "@wapc/as-guest";

/** Link name used for capability providers and built-ins unless the actor picks another. */
export const DEFAULT_BINDING = "default";

@external("wapc", "__host_call")
declare function wapcHostCall(
  bindingPtr: usize, bindingLen: usize,
  namespacePtr: usize, namespaceLen: usize,
  operationPtr: usize, operationLen: usize,
  payloadPtr: usize, payloadLen: usize,
): i32;

/** Body of every actor's exported `__guest_call`. */
export function guestCall(operationLen: usize, payloadLen: usize): bool {
  return handleCall(operationLen, payloadLen);
}

/** The abort handler every actor is compiled with (`--use abort=lib/wapc/guestAbort`): reports via __guest_error. */
export function guestAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  handleAbort(message, fileName, line, column);
}

/** Calls the host: binding = link name ("" for actors), namespace = contract id, actor key or call alias. */
export function hostCall(binding: string, namespace: string, operation: string, payload: ArrayBuffer): Result<ArrayBuffer> {
  const b = String.UTF8.encode(binding);
  const n = String.UTF8.encode(namespace);
  const o = String.UTF8.encode(operation);
  const rc = wapcHostCall(
    changetype<usize>(b), <usize>b.byteLength,
    changetype<usize>(n), <usize>n.byteLength,
    changetype<usize>(o), <usize>o.byteLength,
    changetype<usize>(payload), <usize>payload.byteLength,
  );
  if (rc != 1) {
    const message = new ArrayBuffer(<i32>__host_error_len());
    __host_error(changetype<i32>(message));
    return Result.error<ArrayBuffer>(new HostError(String.UTF8.decode(message)));
  }
  const response = new ArrayBuffer(<i32>__host_response_len());
  __host_response(changetype<i32>(response));
  return Result.ok<ArrayBuffer>(response);
}

/** A failed Result carrying `context: message`. */
export function failure<T>(context: string, message: string): Result<T> {
  return Result.error<T>(new Error(context + ": " + message));
}

/** Error if the reader failed or left bytes over, else null. */
export function readerError(r: MsgReader): string | null {
  r.expectEnd();
  return r.error();
}

/** Propagates an error from one Result type to another. */
export function propagate<T, U>(from: Result<U>): Result<T> {
  return Result.error<T>(from.error()!);
}

/** The message of a failed Result. */
export function messageOf<T>(result: Result<T>): string {
  const err = result.error();
  return err === null ? "unknown error" : err.message;
}
