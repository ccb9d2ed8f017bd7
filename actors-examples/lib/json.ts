// A tiny JSON writer for HTTP responses: correct string escaping, no formatting by hand in the actors.

const HEX = "0123456789abcdef";

/** `s` as a quoted JSON string (RFC 8259 escaping; non-ASCII passes through and is UTF-8 encoded later). */
export function jsonString(s: string): string {
  let out = "\"";
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(start, i) + escapeChar(c);
    start = i + 1;
  }
  return out + s.substring(start) + "\"";
}

function escapeChar(c: i32): string {
  if (c == 0x22) return "\\\"";
  if (c == 0x5c) return "\\\\";
  if (c == 0x0a) return "\\n";
  if (c == 0x0d) return "\\r";
  if (c == 0x09) return "\\t";
  return "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 0xf);
}

export function jsonStringArray(items: Array<string>): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    out += jsonString(items[i]);
  }
  return out + "]";
}

/** Builds one JSON object; keys keep insertion order. */
export class JsonObject {
  private body: string = "";

  private key(name: string): void {
    if (this.body.length > 0) this.body += ",";
    this.body += jsonString(name) + ":";
  }

  str(name: string, value: string): JsonObject {
    this.key(name);
    this.body += jsonString(value);
    return this;
  }

  int(name: string, value: i64): JsonObject {
    this.key(name);
    this.body += value.toString();
    return this;
  }

  /** `value` must already be valid JSON. */
  raw(name: string, value: string): JsonObject {
    this.key(name);
    this.body += value;
    return this;
  }

  toString(): string {
    return "{" + this.body + "}";
  }
}
