// Optimises every WebAssembly file named on the command line in place, as
// `wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int` does, but in one
// process: binaryen from npm is itself WebAssembly, and each `wasm-opt` process spends
// about two seconds compiling it before it starts — for a hundred-odd split parts that
// was most of the release build's optimisation time. scripts/build-site runs this with
// its share of the parts, one process per core.
//
// Usage: node scripts/wasm-opt-all.mjs BINARYEN_INDEX_JS PART.wasm…
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [binaryenIndex, ...parts] = process.argv.slice(2);
const binaryen = (await import(pathToFileURL(binaryenIndex).href)).default;

const F = binaryen.Features;
// wasm-opt's default feature set in binaryen 132 (what LLVM enables by default), plus the
// two the command line above asks for; a target_features section in the input adds more.
const features =
  F.SignExt | F.MutableGlobals | F.BulkMemory | F.BulkMemoryOpt | F.NontrappingFPToInt |
  F.ReferenceTypes | F.Multivalue | F.CallIndirectOverlong;

binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2); // -Oz
binaryen.setDebugInfo(false);
// As the command line does at -O2 and above: Stack IR, optimised, when writing the binary.
binaryen.setGenerateStackIR(true);
binaryen.setOptimizeStackIR(true);

for (const path of parts) {
  const mod = binaryen.readBinary(readFileSync(path), features);
  try {
    if (!mod.validate()) throw new Error(`${path}: not valid WebAssembly`);
    mod.optimize();
    writeFileSync(path, mod.emitBinary());
  } finally {
    mod.dispose();
  }
}
