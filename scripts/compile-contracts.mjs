// Compiles the project's contracts (busanhub/chain/contracts and exchange/contracts, or the
// folders named as arguments) with solc-js (pinned in package.json) into <Name>.json artifacts
// (ABI + bytecode) beside them. `--check` compiles and fails if an artifact is stale.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const solc = require("solc");
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const check = process.argv.includes("--check");
const named = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const folders = named.length ? named : ["busanhub/chain/contracts", "exchange/contracts"];

const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: "cancun",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};
function findImports(importPath) {
  const candidate = path.join(root, "node_modules", importPath);
  if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  return { error: `not found: ${importPath}` };
}

// Compiles one folder; returns the number of stale artifacts (with --check) or 1 on errors.
function compileFolder(folder) {
  const contractsDir = path.join(root, folder);
  let stale = 0;
  const sources = {};
  for (const file of fs.readdirSync(contractsDir).filter((f) => f.endsWith(".sol"))) {
    sources[file] = { content: fs.readFileSync(path.join(contractsDir, file), "utf8") };
  }
  const output = JSON.parse(
    solc.compile(JSON.stringify({ language: "Solidity", sources, settings }), { import: findImports }),
  );
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) {
    for (const e of errors) console.error(e.formattedMessage);
    return 1;
  }
  for (const file of Object.keys(sources)) {
    for (const [name, contract] of Object.entries(output.contracts[file])) {
      const artifact = {
        contractName: name,
        sourceName: file,
        compiler: { name: "solc-js", version: solc.version() },
        settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion },
        abi: contract.abi,
        bytecode: "0x" + contract.evm.bytecode.object,
        deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
      };
      const target = path.join(contractsDir, `${name}.json`);
      const text = JSON.stringify(artifact, null, 2) + "\n";
      if (check) {
        const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : "";
        if (current !== text) {
          console.error(`stale artifact: ${path.relative(root, target)} (run npm run compile-contracts)`);
          stale += 1;
        } else {
          console.log(`up to date: ${path.relative(root, target)}`);
        }
      } else {
        fs.writeFileSync(target, text);
        console.log(`wrote ${path.relative(root, target)} with solc ${solc.version()}`);
      }
    }
  }
  return stale;
}

let problems = 0;
for (const folder of folders) problems += compileFolder(folder);
process.exit(problems ? 1 : 0);
