/**
 * The well-known symbols of explicit resource management (`using`, TypeScript 5.2+), declared so that the
 * package's declarations compile under any `lib` (the same declaration as lib.esnext.disposable and
 * @types/node, which TypeScript merges). At run time they exist in Node ≥ 20.19, Deno 2, Bun and current
 * browsers; where a runtime lacks them, `dispose()` / `destroy()` work as before.
 */
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
    readonly asyncDispose: unique symbol;
  }
}
export {};
