/**
 * Shards (DESIGN §7): `--shard i/N` runs the tiles whose plan index is `i` modulo `N`, so that
 * N machines (a Kubernetes Indexed Job, a Slurm array, any batch system) split a backtest
 * deterministically. `--shard auto/N` takes `i` from `JOB_COMPLETION_INDEX` (Kubernetes
 * Indexed Jobs) or else `SLURM_ARRAY_TASK_ID` (Slurm arrays, submitted as `--array=0-<N-1>`).
 */
import { UsageError } from "../errors/mod.ts";

/** One shard of N. */
export interface ShardSpec {
  /** This shard's index, `0 <= index < count`. */
  readonly index: number;
  /** Number of shards. */
  readonly count: number;
}

/** Options of `parseShardSpec`. */
export interface ParseShardSpecOptions {
  /** Reads an environment variable (for `auto/N`). Default: none set. */
  env?: (name: string) => string | undefined;
}

/** The environment variables `auto/N` reads, in order. */
export const SHARD_INDEX_ENV = ["JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"] as const;

const _FORM = "expected i/N with 0 <= i < N (e.g. 0/3), or auto/N";

/**
 * Parses `i/N` or `auto/N`. Every malformed spec (`3/2`, `1/0`, `a/b`) and an `auto` index
 * missing from the environment is a `UsageError` saying the expected form.
 */
export function parseShardSpec(text: string, options: ParseShardSpecOptions = {}): ShardSpec {
  const match = /^\s*(auto|\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!match) throw new UsageError(`Invalid shard '${text}': ${_FORM}`);
  const count = Number(match[2]);
  if (count < 1) throw new UsageError(`Invalid shard '${text}': N must be at least 1; ${_FORM}`);
  let index: number;
  let where = "";
  if (match[1] === "auto") {
    const env = options.env ?? (() => undefined);
    const found = SHARD_INDEX_ENV.map((name) => [name, env(name)] as const)
      .find(([, value]) => value !== undefined && value.trim() !== "");
    if (found === undefined) {
      throw new UsageError(
        `Invalid shard '${text}': neither ${
          SHARD_INDEX_ENV.join(" nor ")
        } is set; run it as a Kubernetes Indexed Job or a Slurm array, or give the index (i/${count})`,
      );
    }
    const [name, value] = found as readonly [string, string];
    if (!/^\d+$/.test(value.trim())) {
      throw new UsageError(`Invalid shard '${text}': ${name}='${value}' is not an index`);
    }
    index = Number(value.trim());
    where = ` (${name}=${index})`;
  } else {
    index = Number(match[1]);
  }
  if (index >= count) {
    throw new UsageError(
      `Invalid shard '${text}'${where}: index ${index} is not below the shard count ${count}; ${_FORM}`,
    );
  }
  return { index, count };
}

/** The items of `tiles` in shard `shard` (`index % count == shard.index`), in order. */
export function selectShard<T extends { readonly index: number }>(
  tiles: readonly T[],
  shard: ShardSpec,
): T[] {
  return tiles.filter((t) => t.index % shard.count === shard.index);
}

/** `i/N`. */
export function formatShard(shard: ShardSpec): string {
  return `${shard.index}/${shard.count}`;
}
