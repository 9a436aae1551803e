/**
 * Queries built once and run many times with new values. A till's scan runs a handful of point
 * reads; building each through Kysely's query builder and compiling it costs as much CPU as SQLite
 * takes to answer it. A prepared query is built the first time with marker values in place of its
 * arguments, compiled, and remembered per database; later calls only fill the parameters in.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Database } from './schema.js';

type Slot = { arg: number } | { value: unknown };

const MARK = '\u0000jifen-arg-';

/**
 * `build(db, ...args)` must put each argument where a value goes in the query (a `where`, a join
 * condition, a `limit`) and must not branch on the arguments' values: it runs once, with markers.
 * Values written into `build` itself are kept as they are. Each database (each dialect) gets its own
 * compiled statement.
 */
export function prepared<A extends readonly unknown[], O>(build: (db: Kysely<Database>, ...args: A) => Compilable<O>, arity: A['length']) {
  const compiled = new WeakMap<object, { query: CompiledQuery<O>; slots: Slot[] }>();
  return async (db: Kysely<Database>, ...args: A): Promise<O[]> => {
    let hit = compiled.get(db);
    if (!hit) {
      const marks = Array.from({ length: arity }, (_, i) => `${MARK}${i}`);
      const query = build(db, ...(marks as unknown as A)).compile();
      const slots = query.parameters.map((p): Slot => {
        if (typeof p === 'string' && p.startsWith(MARK)) return { arg: Number(p.slice(MARK.length)) };
        return { value: p };
      });
      const used = new Set(slots.flatMap((s) => ('arg' in s ? [s.arg] : [])));
      if (used.size !== arity) throw new Error(`prepared query: ${arity - used.size} of ${arity} arguments are not in the query`);
      hit = { query, slots };
      compiled.set(db, hit);
    }
    const parameters = hit.slots.map((s) => ('arg' in s ? args[s.arg] : s.value));
    const result = await db.executeQuery<O>({ ...hit.query, parameters });
    return result.rows;
  };
}
