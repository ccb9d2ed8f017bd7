// Compiles actors with AssemblyScript in one node process (JIT-warm compiler: ~3x faster than one asc per actor).
//   node tools/compile.mjs NAME...   →   NAME/build/NAME.unsigned.wasm
// Paths stay relative to actors-examples/ because asc embeds source paths in abort messages: the output does
// not depend on where the checkout lives. No --debug, no --sourceMap: nothing time- or path-dependent.
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import asc from "assemblyscript/asc";

export const ASC_FLAGS = [
  "-O3", // binaryen optimisation at full speed level
  "--noAssert", // release build
  "--runtime", "incremental", // TLSF + incremental GC; the stub runtime never frees memory
  "--use", "abort=lib/wapc/guestAbort", // report aborts via __guest_error: only `wapc` imports remain
];

process.chdir(fileURLToPath(new URL("..", import.meta.url)));
const names = process.argv.slice(2);
if (names.length === 0) {
  console.error("usage: node tools/compile.mjs NAME...");
  process.exit(2);
}
for (const name of names) {
  mkdirSync(`${name}/build`, { recursive: true });
  const out = `${name}/build/${name}.unsigned.wasm`;
  const { error, stderr } = await asc.main([`${name}/assembly/index.ts`, "-o", out, ...ASC_FLAGS]);
  const diagnostics = stderr.toString();
  if (diagnostics) process.stderr.write(diagnostics);
  if (error) {
    console.error(`compile.mjs: ${name}: ${error.message}`);
    process.exit(1);
  }
}
