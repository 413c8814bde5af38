#!/usr/bin/env node
// Lists every symbol exported by a package entry point that has no TSDoc comment (exits 1 if any).
//   node scripts/check-tsdoc.mjs packages/tensor/src/index.ts packages/symplectic/src/index.ts
import ts from 'typescript';

export function undocumented(entries) {
  const program = ts.createProgram(entries, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, allowJs: false, customConditions: ['source'] });
  const checker = program.getTypeChecker();
  const missing = [];
  for (const entry of entries) {
    const sf = program.getSourceFile(entry);
    const moduleSymbol = checker.getSymbolAtLocation(sf);
    const visit = (sym, prefix) => {
      const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
      if (target.flags & ts.SymbolFlags.ValueModule && target.valueDeclaration && ts.isSourceFile(target.valueDeclaration)) {
        for (const s of checker.getExportsOfModule(target)) visit(s, `${prefix}${sym.name}.`);
        return;
      }
      const doc = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
      if (!doc) missing.push(`${entry}: ${prefix}${sym.name}`);
    };
    for (const s of checker.getExportsOfModule(moduleSymbol)) visit(s, '');
  }
  return missing;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  const missing = undocumented(process.argv.slice(2));
  for (const m of missing) console.log(m);
  console.log(`${missing.length} exported symbols without TSDoc`);
  if (missing.length) process.exit(1);
}
