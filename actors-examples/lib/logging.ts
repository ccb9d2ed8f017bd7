// wasmcloud:builtin:logging (handled by the host; the actor needs the claim, no link):
//   Logging.WriteLog LogEntry {level: str, text: str} → empty. Levels: debug, info, warn, error.

import { MsgWriter } from "./msgpack";
import { DEFAULT_BINDING, hostCall } from "./wapc";

export const LOGGING = "wasmcloud:builtin:logging";

export class LogEntry {
  constructor(public level: string, public text: string) {}

  encode(): ArrayBuffer {
    const w = new MsgWriter();
    w.writeMapSize(2);
    w.writeString("level");
    w.writeString(this.level);
    w.writeString("text");
    w.writeString(this.text);
    return w.finish();
  }
}

/** Returns null on success, else the error. */
export function writeLog(level: string, text: string): Error | null {
  return hostCall(DEFAULT_BINDING, LOGGING, "Logging.WriteLog", new LogEntry(level, text).encode()).error();
}

export function debug(text: string): Error | null {
  return writeLog("debug", text);
}

export function info(text: string): Error | null {
  return writeLog("info", text);
}

export function warn(text: string): Error | null {
  return writeLog("warn", text);
}

export function error(text: string): Error | null {
  return writeLog("error", text);
}
