// Types of the one call the SQL endpoints make into libpg_query's WebAssembly build (a
// dependency of Ponder, which parses SQL over HTTP with it; the package ships no types).
declare module "pg-query-emscripten" {
  interface PgQuery {
    parse(text: string): { parse_tree: unknown; stderr_buffer: string; error: unknown };
  }
  const load: () => Promise<PgQuery>;
  export default load;
}
